/// An endpoint's state and its tokens, read in one round trip for the `GetWebhookURL` hot path.
public struct WebhookEndpointView: Sendable, Hashable {
    public var state: EndpointState
    /// `nil` when no token has been created yet.
    public var token: WebhookTokenRecord?

    public init(state: EndpointState, token: WebhookTokenRecord?) {
        self.state = state
        self.token = token
    }
}
