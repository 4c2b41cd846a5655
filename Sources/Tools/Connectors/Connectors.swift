import AgentRuntime

/// Every connector's operations.
public enum Connectors {
    /// All connector tools, calling services through `client`.
    public static func tools(_ client: ConnectorClient) -> [any Tool] {
        WordPressConnector.tools(client) + HubSpotConnector.tools(client) + ZohoCRMConnector.tools(client) + ShopifyConnector.tools(client)
            + GoogleAnalyticsConnector.tools(client) + StripeConnector.tools(client) + SlackConnector.tools(client)
            + MailchimpConnector.tools(client) + TrelloConnector.tools(client)
    }
}
