import Replication
import Testing

/// How `--galera-nodes` and `wsrep_incoming_addresses` are read: pure, table-driven.
struct GaleraNodesTests {
    static let choices: [(text: String, nodes: GaleraNodes?)] = [
        ("auto", .discover),
        ("AUTO", .discover),
        ("none", .pointedOnly),
        (
            "10.0.0.5:3306,10.0.0.6:3307",
            .given([.init(host: "10.0.0.5", port: 3306), .init(host: "10.0.0.6", port: 3307)])
        ),
        ("db-1.example.com", .given([.init(host: "db-1.example.com", port: 3306)])),
        ("[fd00::5]:3306, 10.0.0.6", .given([.init(host: "fd00::5", port: 3306), .init(host: "10.0.0.6", port: 3306)])),
        ("10.0.0.5:", nil),
        ("10.0.0.5:70000", nil),
        ("", nil),
        ("a,,b", .given([.init(host: "a", port: 3306), .init(host: "b", port: 3306)])),
        ("auto,10.0.0.5", nil),
    ]

    @Test(arguments: choices)
    func aChoiceIsReadOrRefused(text: String, nodes: GaleraNodes?) {
        #expect(GaleraNodes(parsing: text) == nodes, "\(text)")
    }

    @Test func aChoiceIsPrintedAsItIsGiven() throws {
        for text in ["auto", "none", "10.0.0.5:3306,[fd00::5]:3307"] {
            #expect(try #require(GaleraNodes(parsing: text)).description == text)
        }
    }

    static let incoming: [(listed: String, ports: [Int]?)] = [
        ("127.0.0.1:3306,127.0.0.1:3307,127.0.0.1:3308", [3306, 3307, 3308]),
        ("AUTO,AUTO,AUTO", nil),
        ("10.0.0.5:3306,AUTO", nil),
        ("", nil),
    ]

    @Test(arguments: incoming)
    func theClusterListIsUsedOnlyWhenEveryNodeSaysWhereItIs(listed: String, ports: [Int]?) {
        #expect(GaleraNodes.addresses(incoming: listed)?.map(\.port) == ports, "\(listed)")
    }
}
