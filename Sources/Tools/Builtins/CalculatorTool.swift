import AgentRuntime
import Foundation

/// `calculator.evaluate`: exact-enough arithmetic so agents never do sums in their heads.
/// Supports `+ - * / % ^`, parentheses, unary minus, decimals and `,` thousands separators.
public struct CalculatorTool: Tool {
    /// What the model and the policy gate are told about the tool.
    public static let spec = ToolSpec(
        id: "calculator.evaluate",
        description:
            "Evaluate an arithmetic expression exactly (+ - * / ^ %, parentheses, decimals). Use it for any arithmetic instead of computing in your head.",
        parameters: .object(
            ["expression": ["type": "string", "description": "The expression, e.g. (1200 - 950) / 950 * 100"]],
            required: ["expression"]),
        access: .read)

    /// The tool's spec: ``spec``.
    public var spec: ToolSpec { Self.spec }

    /// Creates the tool.
    public init() {}

    /// Evaluates `expression`.
    public func call(_ arguments: JSONValue, context: ToolContext) async throws -> ToolResult {
        guard let expression = arguments["expression"]?.stringValue else {
            throw ToolError("\"expression\" is required")
        }
        let value = try Self.evaluate(expression)
        return ToolResult(content: Self.format(value), data: .double(value))
    }

    /// Formats a result without float noise (`0.1 + 0.2` → `0.3`).
    public static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        var text = String(format: "%.10f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// Evaluates an expression; throws ``ToolError`` with the position of a mistake.
    public static func evaluate(_ expression: String) throws -> Double {
        var parser = Parser(Array(expression.filter { $0 != "," }))
        let value = try parser.expression()
        parser.skipSpaces()
        guard parser.atEnd else {
            throw ToolError("unexpected \"\(parser.current!)\" at position \(parser.index + 1) in \(expression)")
        }
        guard value.isFinite else { throw ToolError("the result is not a finite number (division by zero?)") }
        return value
    }

    private struct Parser {
        let characters: [Character]
        var index = 0
        init(_ characters: [Character]) { self.characters = characters }

        var atEnd: Bool { index >= characters.count }
        var current: Character? { atEnd ? nil : characters[index] }

        mutating func skipSpaces() { while let character = current, character.isWhitespace { index += 1 } }

        mutating func expression() throws -> Double {
            var value = try term()
            while true {
                skipSpaces()
                if current == "+" {
                    index += 1
                    value += try term()
                } else if current == "-" {
                    index += 1
                    value -= try term()
                } else {
                    return value
                }
            }
        }

        mutating func term() throws -> Double {
            var value = try power()
            while true {
                skipSpaces()
                switch current {
                case "*", "×":
                    index += 1
                    value *= try power()
                case "/", "÷":
                    index += 1
                    let divisor = try power()
                    guard divisor != 0 else { throw ToolError("division by zero") }
                    value /= divisor
                case "%":
                    index += 1
                    let divisor = try power()
                    guard divisor != 0 else { throw ToolError("division by zero") }
                    value = value.truncatingRemainder(dividingBy: divisor)
                default:
                    return value
                }
            }
        }

        mutating func power() throws -> Double {
            let base = try unary()
            skipSpaces()
            if current == "^" {
                index += 1
                return pow(base, try power())
            }
            return base
        }

        mutating func unary() throws -> Double {
            skipSpaces()
            if current == "-" {
                index += 1
                return -(try unary())
            }
            if current == "+" {
                index += 1
                return try unary()
            }
            return try primary()
        }

        mutating func primary() throws -> Double {
            skipSpaces()
            if current == "(" {
                index += 1
                let value = try expression()
                skipSpaces()
                guard current == ")" else { throw ToolError("missing \")\" at position \(index + 1)") }
                index += 1
                return value
            }
            let start = index
            while let character = current, character.isNumber || character == "." { index += 1 }
            guard start < index, let value = Double(String(characters[start..<index])) else {
                if let character = current {
                    throw ToolError("expected a number at position \(index + 1), found \"\(character)\"")
                }
                throw ToolError("the expression ends where a number was expected")
            }
            return value
        }
    }
}
