import AgentRuntime

/// Every connector's operations.
public enum Connectors {
    /// The operations of all connectors, each with its spec.
    public static let operations: [ConnectorOperation] =
        WordPressConnector.operations + HubSpotConnector.operations + ZohoCRMConnector.operations
        + ShopifyConnector.operations
        + GoogleAnalyticsConnector.operations + StripeConnector.operations + SlackConnector.operations
        + MailchimpConnector.operations
        + TrelloConnector.operations

    /// All connector tools, calling services through `client`.
    public static func tools(_ client: ConnectorClient) -> [any Tool] { operations.map { $0.tool(client) } }
}
