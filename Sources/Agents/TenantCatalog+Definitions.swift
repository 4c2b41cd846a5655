import AgentRuntime

extension DefinitionReader {
    /// A tenant's entry for a connector defined by a file: every setting declared (or `base_url`/`token_url`),
    /// matching its `pattern` and, when it makes the base URL's host, `allowed_hosts`; every required setting given;
    /// every secret name declared.
    mutating func checkDefinedConnector(
        _ definition: ConnectorDefinition, settings: [String: String], secrets: [String: String], fields: Fields,
        at offset: Int, _ pointer: JSONPointer
    ) {
        let declared = definition.settings.map(\.name)
        let overrides = ["base_url", "token_url"]
        if case .object(let given)? = fields["settings"]?.value.content {
            for member in given {
                let at = pointer.appending("settings").appending(member.key)
                guard let setting = definition.setting(member.key) else {
                    if !overrides.contains(member.key) {
                        error(
                            .unknownField,
                            "\(definition.id) has no setting \"\(member.key)\"\(NameSuggestion.didYouMean(member.key, in: declared)) (settings: \((declared + overrides).joined(separator: ", ")))",
                            at: member.keyOffset, at)
                    }
                    continue
                }
                guard let value = settings[member.key] else { continue }
                if let pattern = setting.pattern, !DefinedPattern.matches(value, pattern) {
                    error(
                        .invalidValue, "\(definition.id) setting \"\(member.key)\" must match \(pattern)",
                        at: member.value.offset, at)
                } else if !definition.allowedHosts.isEmpty, settings["base_url"] == nil,
                    ConnectorTemplate.names(DefinedPattern.origin(of: definition.baseURL)).contains(member.key)
                {
                    var values: [String: String] = [:]
                    for other in definition.settings {
                        values[other.name] = settings[other.name] ?? other.defaultValue ?? other.example
                    }
                    let origin = DefinedPattern.origin(of: definition.baseURL)
                    if let rendered = ConnectorTemplate.render(
                        origin, { values[$0] ?? ($0.hasPrefix("secrets.") ? "x" : nil) }),
                        let host = DefinedPattern.host(of: rendered), !definition.allows(host: host)
                    {
                        error(
                            .invalidValue,
                            "\(definition.id) setting \"\(member.key)\" makes the host \(host), which is not one of \(definition.allowedHosts.joined(separator: ", "))",
                            at: member.value.offset, at)
                    }
                }
            }
        }
        for setting in definition.settings where setting.isRequired && setting.defaultValue == nil {
            if settings[setting.name] == nil {
                error(
                    .missingField,
                    "\(definition.id) needs the setting \"\(setting.name)\"\(setting.description.map { " (\($0))" } ?? "")",
                    at: offset, pointer.appending("settings").appending(setting.name))
            }
        }
        let secretNames = definition.secrets.map(\.name)
        for name in secrets.keys.sorted() where !secretNames.contains(name) {
            error(
                .unknownField,
                "\(definition.id) has no secret \"\(name)\"\(NameSuggestion.didYouMean(name, in: secretNames)) (secrets: \(secretNames.joined(separator: ", ")))",
                at: fields["secrets"]?.value.offset ?? offset, pointer.appending("secrets").appending(name))
        }
    }
}

extension DefinedPattern {
    /// The host of an absolute URL text.
    static func host(of text: String) -> String? {
        guard let scheme = text.range(of: "://") else { return nil }
        let rest = text[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostPort = authority.split(separator: "@").last.map(String.init) ?? String(authority)
        return hostPort.split(separator: ":").first.map { $0.lowercased() }
    }
}
