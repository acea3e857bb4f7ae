import Foundation
import Yams

extension ConfigParser {
    /// A metrics backend's address in an environment: a URL, or `{ url, auth }` for one behind auth.
    func parseEndpoint(_ node: Node, key: String) -> (url: String, auth: MetricEndpointAuth?)? {
        guard case .mapping = node else { return reader.url(node, key: key).map { ($0, nil) } }
        guard let fields = reader.mapping(node, key: key, allowed: ["url", "auth"], required: ["url"]),
            let url = fields["url"].flatMap({ reader.url($0, key: "\(key).url") })
        else { return nil }
        guard let authNode = fields["auth"] else { return (url, nil) }
        return parseAuth(authNode, key: "\(key).auth").map { (url, $0) }
    }

    private func parseAuth(_ node: Node, key: String) -> MetricEndpointAuth? {
        guard let fields = reader.mapping(node, key: key, allowed: MetricEndpointAuth.kinds) else { return nil }
        let given = MetricEndpointAuth.kinds.filter { fields[$0] != nil }
        guard given.count == 1, let kind = given.first, let value = fields[kind] else {
            reader.report(
                node, key,
                "give one of: `basic: { user: U, password: \"${VAR}\" }`, `bearer: \"${VAR}\"`, "
                    + "`bearer_command: [gcloud, auth, print-access-token]`, `sigv4: { region: R }`")
            return nil
        }
        switch kind {
        case "basic":
            guard
                let entries = reader.mapping(
                    value, key: "\(key).basic", allowed: ["user", "password"], required: ["user", "password"]),
                let user = entries["user"].flatMap({ reader.string($0, key: "\(key).basic.user") }),
                let password = entries["password"].flatMap({ reader.secret($0, key: "\(key).basic.password") })
            else { return nil }
            return .basic(user: user, password: password)
        case "bearer":
            return reader.secret(value, key: "\(key).bearer").map(MetricEndpointAuth.bearer)
        case "bearer_command":
            guard let command = reader.stringList(value, key: "\(key).bearer_command") else { return nil }
            guard !command.isEmpty else {
                reader.report(
                    value, "\(key).bearer_command",
                    "give the program and its arguments, e.g. [gcloud, auth, print-access-token]")
                return nil
            }
            return .bearerCommand(command)
        default:
            guard let entries = reader.mapping(value, key: "\(key).sigv4", allowed: ["region", "service"]) else {
                return nil
            }
            let region = entries["region"].flatMap { reader.name($0, key: "\(key).sigv4.region") }
            let service = entries["service"].flatMap { reader.name($0, key: "\(key).sigv4.service") } ?? "aps"
            return .sigv4(region: region, service: service)
        }
    }
}
