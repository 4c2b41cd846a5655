import AgentRuntime

extension RunDefinition {
    /// A run of a one-task crew (`one`, agent `writer`) for tenant `acme`, input `topic=swift`: what store tests store
    /// with their runs.
    public static let sample = RunDefinition(
        crew: CrewDefinition(
            id: "one", name: "One", process: .sequential, agents: ["writer"],
            tasks: [CrewTask(id: "t", description: "Write", expectedOutput: "Text", agent: "writer")]),
        agents: [
            AgentDefinition(
                id: "writer", name: "Writer", category: "test", role: "Writer", goal: "Write", backstory: "Writes.")
        ],
        inputs: ["topic": "swift"], principal: Principal(tenant: "acme", user: "ada", roles: [.tenantAdmin]))
}
