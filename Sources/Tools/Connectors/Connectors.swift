import AgentRuntime
import Foundation

/// Every connector's operations.
public enum Connectors {
    /// The operations of the connectors written in Swift. They stay Swift where a definition file cannot say what
    /// the service needs: WordPress (the `context=edit` query only for non-published statuses, `X-WP-TotalPages`
    /// paging), HubSpot and Zoho CRM (search bodies built from filters, per-data-centre token endpoints), Shopify
    /// (GraphQL with cost-based throttling), Google Analytics (report requests built from metric lists) and
    /// Mailchimp (the data centre taken from the API key's suffix, `total`/`next_offset` paging).
    public static let swiftOperations: [ConnectorOperation] =
        WordPressConnector.operations + HubSpotConnector.operations + ZohoCRMConnector.operations
        + ShopifyConnector.operations
        + GoogleAnalyticsConnector.operations
        + MailchimpConnector.operations

    /// The connector definitions shipped with the runtime (`connectors/slack.json`, `stripe.json`, `trello.json`,
    /// compiled in by `scripts/embed-connectors`).
    public static let shippedDefinitions: [ConnectorDefinition] = ShippedDefinitions.files.map { file in
        do {
            return try ConnectorDefinition(json: try JSONParser.value(file.json))
        } catch {
            // The embedded files are the repository's connectors/*.json, which the test suite validates.
            fatalError("connectors/\(file.id).json (shipped) does not decode: \(error)")
        }
    }

    /// The operations of all connectors: the Swift ones and the shipped definitions', each with its spec.
    public static let operations: [ConnectorOperation] =
        swiftOperations + shippedDefinitions.flatMap(DefinedConnector.operations)

    /// The operations of the shipped definition `id`.
    static func shipped(_ id: String) -> [ConnectorOperation] {
        shippedDefinitions.first { $0.id == id }.map(DefinedConnector.operations) ?? []
    }

    /// What is wrong with a connector setting as a tenant file gives it, or nil: `base_url`, `site_url` and `token_url` must be
    /// absolute http(s) URLs, a Shopify `shop_domain` a `<name>.myshopify.com` domain. (Where a URL may lead is the
    /// egress policy's decision, made when a request is sent.)
    @Sendable public static func settingProblem(connector: String, setting: String, value: String) -> String? {
        switch (connector, setting) {
        case (_, "base_url"), (_, "site_url"), (_, "token_url"):
            guard let url = URL(string: value), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                url.host?.isEmpty == false
            else { return "must be an absolute http or https URL, like https://blog.example.com" }
            return nil
        case ("shopify", "shop_domain"): return ShopifyConnector.shopDomainProblem(value)
        default: return nil
        }
    }

    /// All connector tools, calling services through `client`.
    public static func tools(_ client: ConnectorClient) -> [any Tool] { operations.map { $0.tool(client) } }
}

/// Slack: now the definition `connectors/slack.json` (its operations, as before, for callers of the Swift API).
public enum SlackConnector {
    /// The operations of `connectors/slack.json`.
    public static let operations: [ConnectorOperation] = Connectors.shipped("slack")
}

/// Stripe: now the definition `connectors/stripe.json`.
public enum StripeConnector {
    /// The operations of `connectors/stripe.json`.
    public static let operations: [ConnectorOperation] = Connectors.shipped("stripe")
}

/// Trello: now the definition `connectors/trello.json`.
public enum TrelloConnector {
    /// The operations of `connectors/trello.json`.
    public static let operations: [ConnectorOperation] = Connectors.shipped("trello")
}
