import AgentRuntime
import Foundation

/// Every connector's operations.
public enum Connectors {
    /// The operations of all connectors, each with its spec.
    public static let operations: [ConnectorOperation] =
        WordPressConnector.operations + HubSpotConnector.operations + ZohoCRMConnector.operations
        + ShopifyConnector.operations
        + GoogleAnalyticsConnector.operations + StripeConnector.operations + SlackConnector.operations
        + MailchimpConnector.operations
        + TrelloConnector.operations

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
