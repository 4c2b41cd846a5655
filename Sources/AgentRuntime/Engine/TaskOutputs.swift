/// Finished task outputs of one run (kept when a later task fails).
actor TaskOutputs {
    private var items: [TaskID: TaskOutput] = [:]
    func add(_ output: TaskOutput) { items[output.task] = output }
    func get(_ id: TaskID) -> TaskOutput? { items[id] }
    func sorted(by order: [TaskID]) -> [TaskOutput] { order.compactMap { items[$0] } }
}
