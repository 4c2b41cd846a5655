import AgentRuntime

/// Specs of the connector operations (one REST API each).
enum ConnectorSpecs {
    static let all: [ToolSpec] = wordpress + hubspot + zoho + shopify + analytics + stripe + slack + mailchimp + trello

    static let wordpress: [ToolSpec] = [
        ToolSpec(
            id: "wordpress.list_posts",
            description: "List posts on the tenant's WordPress site, newest first, optionally filtered by status or a search term.",
            parameters: .object(
                [
                    "status": Schema.string("Post status", enum: ["publish", "draft", "pending", "future", "private"]),
                    "search": Schema.string("Only posts matching this text"), "limit": Schema.limit,
                    "cursor": Schema.cursor,
                ]),
            access: .read),
        ToolSpec(
            id: "wordpress.create_post",
            description: "Create a post on the tenant's WordPress site (a draft unless status says otherwise).",
            parameters: .object(
                [
                    "title": Schema.string("Post title"), "content": Schema.string("Post body as HTML"),
                    "excerpt": Schema.string("Short summary"),
                    "status": Schema.string("Post status", enum: ["draft", "pending", "publish"]),
                ], required: ["title", "content"]),
            access: .write, requiresApproval: true),
        ToolSpec(
            id: "wordpress.update_post",
            description: "Update the title, content, excerpt or status of an existing WordPress post.",
            parameters: .object(
                [
                    "id": Schema.integer("Post id", minimum: 1), "title": Schema.string("New title"),
                    "content": Schema.string("New body as HTML"), "excerpt": Schema.string("New summary"),
                    "status": Schema.string("New status", enum: ["draft", "pending", "publish", "private"]),
                ], required: ["id"]),
            access: .write, requiresApproval: true),
    ]

    static let hubspot: [ToolSpec] = [
        ToolSpec(
            id: "hubspot.search_contacts",
            description: "Search HubSpot contacts by free text (name, email, company) and return their main properties.",
            parameters: .object(
                ["query": Schema.string("Search text"), "limit": Schema.limit, "cursor": Schema.cursor],
                required: ["query"]),
            access: .read),
        ToolSpec(
            id: "hubspot.create_contact",
            description: "Create a HubSpot contact.",
            parameters: .object(
                [
                    "email": Schema.string("Email address", format: "email"), "firstname": Schema.string("First name"),
                    "lastname": Schema.string("Last name"), "company": Schema.string("Company name"),
                    "phone": Schema.string("Phone number"), "lifecyclestage": Schema.string("Lifecycle stage"),
                ], required: ["email"]),
            access: .write),
        ToolSpec(
            id: "hubspot.update_contact",
            description: "Update properties of an existing HubSpot contact.",
            parameters: .object(
                [
                    "id": Schema.string("Contact id"),
                    "properties": ["type": "object", "description": "Property names and new values", "additionalProperties": ["type": "string"]],
                ], required: ["id", "properties"]),
            access: .write),
        ToolSpec(
            id: "hubspot.list_deals",
            description: "List HubSpot deals with amount, stage and close date.",
            parameters: .object(["limit": Schema.limit, "cursor": Schema.cursor]),
            access: .read),
    ]

    static let zoho: [ToolSpec] = [
        ToolSpec(
            id: "zoho_crm.list_leads",
            description: "List leads in Zoho CRM, most recently modified first.",
            parameters: .object(["limit": Schema.limit, "page": Schema.integer("Page number, from 1", minimum: 1)]),
            access: .read),
        ToolSpec(
            id: "zoho_crm.create_lead",
            description: "Create a lead in Zoho CRM.",
            parameters: .object(
                [
                    "last_name": Schema.string("Last name"), "first_name": Schema.string("First name"),
                    "company": Schema.string("Company"), "email": Schema.string("Email address", format: "email"),
                    "phone": Schema.string("Phone number"), "lead_source": Schema.string("Where the lead came from"),
                ], required: ["last_name", "company"]),
            access: .write),
    ]

    static let shopify: [ToolSpec] = [
        ToolSpec(
            id: "shopify.list_products",
            description: "List products in the tenant's Shopify store with price, inventory and status.",
            parameters: .object(
                [
                    "status": Schema.string("Product status", enum: ["active", "draft", "archived"]),
                    "limit": Schema.limit, "cursor": Schema.cursor,
                ]),
            access: .read),
        ToolSpec(
            id: "shopify.get_product",
            description: "Get one Shopify product with its variants.",
            parameters: .object(["id": Schema.integer("Product id", minimum: 1)], required: ["id"]),
            access: .read),
        ToolSpec(
            id: "shopify.update_product",
            description: "Update a Shopify product's title, description, tags or status.",
            parameters: .object(
                [
                    "id": Schema.integer("Product id", minimum: 1), "title": Schema.string("New title"),
                    "body_html": Schema.string("New description as HTML"), "tags": Schema.string("Comma-separated tags"),
                    "status": Schema.string("New status", enum: ["active", "draft", "archived"]),
                ], required: ["id"]),
            access: .write, requiresApproval: true),
        ToolSpec(
            id: "shopify.list_orders",
            description: "List Shopify orders with totals, financial and fulfillment status.",
            parameters: .object(
                [
                    "status": Schema.string("Order status", enum: ["open", "closed", "cancelled", "any"]),
                    "created_at_min": Schema.string("Only orders created at or after this time", format: "date-time"),
                    "limit": Schema.limit, "cursor": Schema.cursor,
                ]),
            access: .read),
    ]

    static let analytics: [ToolSpec] = [
        ToolSpec(
            id: "google_analytics.run_report",
            description: "Run a Google Analytics 4 report: metrics by dimensions over a date range.",
            parameters: .object(
                [
                    "metrics": Schema.array("Metric names, e.g. sessions, totalUsers, conversions", items: ["type": "string"]),
                    "dimensions": Schema.array("Dimension names, e.g. date, sessionSource, pagePath", items: ["type": "string"]),
                    "start_date": Schema.string("Start date, YYYY-MM-DD or NdaysAgo"),
                    "end_date": Schema.string("End date, YYYY-MM-DD, yesterday or today"),
                    "limit": Schema.integer("Maximum rows", minimum: 1, maximum: 10000),
                ], required: ["metrics", "start_date", "end_date"]),
            access: .read),
    ]

    static let stripe: [ToolSpec] = [
        ToolSpec(
            id: "stripe.list_customers",
            description: "List Stripe customers, optionally filtered by email.",
            parameters: .object(
                ["email": Schema.string("Exact email address"), "limit": Schema.limit, "cursor": Schema.cursor]),
            access: .read),
        ToolSpec(
            id: "stripe.list_invoices",
            description: "List Stripe invoices with amount, status and due date, optionally for one customer.",
            parameters: .object(
                [
                    "customer": Schema.string("Customer id"),
                    "status": Schema.string("Invoice status", enum: ["draft", "open", "paid", "uncollectible", "void"]),
                    "limit": Schema.limit, "cursor": Schema.cursor,
                ]),
            access: .read),
        ToolSpec(
            id: "stripe.create_customer",
            description: "Create a Stripe customer.",
            parameters: .object(
                [
                    "email": Schema.string("Email address", format: "email"), "name": Schema.string("Full name"),
                    "description": Schema.string("Internal note"),
                ], required: ["email"]),
            access: .write, requiresApproval: true),
    ]

    static let slack: [ToolSpec] = [
        ToolSpec(
            id: "slack.post_message",
            description: "Post a message to a Slack channel.",
            parameters: .object(
                ["channel": Schema.string("Channel id or name"), "text": Schema.string("Message text (mrkdwn)")],
                required: ["channel", "text"]),
            access: .write),
        ToolSpec(
            id: "slack.list_channels",
            description: "List the Slack channels of the tenant's workspace.",
            parameters: .object(["limit": Schema.limit, "cursor": Schema.cursor]),
            access: .read),
    ]

    static let mailchimp: [ToolSpec] = [
        ToolSpec(
            id: "mailchimp.list_audiences",
            description: "List Mailchimp audiences (lists) with member counts.",
            parameters: .object(["limit": Schema.limit, "offset": Schema.integer("Items to skip", minimum: 0)]),
            access: .read),
        ToolSpec(
            id: "mailchimp.add_member",
            description: "Add a subscriber to a Mailchimp audience.",
            parameters: .object(
                [
                    "audience_id": Schema.string("Audience (list) id"),
                    "email": Schema.string("Email address", format: "email"),
                    "status": Schema.string("Subscription status", enum: ["subscribed", "pending"]),
                    "first_name": Schema.string("First name"), "last_name": Schema.string("Last name"),
                ], required: ["audience_id", "email"]),
            access: .write),
        ToolSpec(
            id: "mailchimp.list_campaigns",
            description: "List Mailchimp campaigns with status, send time and report summary.",
            parameters: .object(
                [
                    "status": Schema.string("Campaign status", enum: ["save", "paused", "schedule", "sending", "sent"]),
                    "limit": Schema.limit, "offset": Schema.integer("Items to skip", minimum: 0),
                ]),
            access: .read),
    ]

    static let trello: [ToolSpec] = [
        ToolSpec(
            id: "trello.list_cards",
            description: "List the cards on a Trello board or list.",
            parameters: .object(
                ["board_id": Schema.string("Board id"), "list_id": Schema.string("List id (instead of a board)")]),
            access: .read),
        ToolSpec(
            id: "trello.create_card",
            description: "Create a card in a Trello list.",
            parameters: .object(
                [
                    "list_id": Schema.string("List id"), "name": Schema.string("Card title"),
                    "desc": Schema.string("Card description"), "due": Schema.string("Due date", format: "date-time"),
                ], required: ["list_id", "name"]),
            access: .write),
    ]
}
