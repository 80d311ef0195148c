/// Encodes ``InfluxPoint``s as InfluxDB line protocol:
/// `measurement,tag1=v1,tag2=v2 field1=1i,field2=2i 1700000000000000123`.
///
/// Escaping follows the line protocol reference: in the measurement a backslash, comma and space are
/// escaped with a backslash; in tag keys, tag values and field keys a backslash, comma, equals sign and space.
/// Line protocol cannot carry a line break inside a name or value: `\n` and `\r` become a space. Tags are
/// sorted by key (byte order, as InfluxDB recommends) and tags with an empty value are left out.
///
/// Backslashes: InfluxDB 2.x and the line protocol reference read `\\` as one backslash. InfluxDB 1.x
/// before 1.8 keeps both (a tag value `a\b` is stored as `a\\b`), but the line still parses: escaping every
/// backslash is what keeps a value ending in `\` from swallowing the separator after it.
///
/// [Line protocol reference](https://docs.influxdata.com/influxdb/v1/write_protocols/line_protocol_reference/)
public struct LineProtocolEncoder: Sendable {
    /// The measurement every point is written to (unescaped).
    public let measurement: String
    private let escapedMeasurement: [UInt8]

    /// Creates an encoder for one measurement.
    public init(measurement: String) {
        self.measurement = measurement
        var escaped: [UInt8] = []
        Self.appendEscaped(measurement, to: &escaped, equalsSign: false)
        self.escapedMeasurement = escaped
    }

    /// Appends one line (with its trailing `\n`) to `output`.
    public func append(_ point: InfluxPoint, to output: inout [UInt8]) {
        output.append(contentsOf: escapedMeasurement)
        for key in point.tags.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            guard let value = point.tags[key], !value.isEmpty, !key.isEmpty else { continue }
            output.append(UInt8(ascii: ","))
            Self.appendEscaped(key, to: &output, equalsSign: true)
            output.append(UInt8(ascii: "="))
            Self.appendEscaped(value, to: &output, equalsSign: true)
        }
        var separator = UInt8(ascii: " ")
        for field in point.fields {
            output.append(separator)
            separator = UInt8(ascii: ",")
            Self.appendEscaped(field.key, to: &output, equalsSign: true)
            output.append(UInt8(ascii: "="))
            output.append(contentsOf: String(field.value).utf8)
            output.append(UInt8(ascii: "i"))
        }
        output.append(UInt8(ascii: " "))
        output.append(contentsOf: String(point.timestampNanoseconds).utf8)
        output.append(UInt8(ascii: "\n"))
    }

    /// One point as a line, without the trailing newline.
    public func line(_ point: InfluxPoint) -> String {
        var output: [UInt8] = []
        append(point, to: &output)
        output.removeLast()
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends `text` escaped: backslash, comma, space (and equals sign when `equalsSign`) get a backslash;
    /// line breaks become a space.
    static func appendEscaped(_ text: String, to output: inout [UInt8], equalsSign: Bool) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"), UInt8(ascii: ","), UInt8(ascii: " "):
                output.append(UInt8(ascii: "\\"))
                output.append(byte)
            case UInt8(ascii: "=") where equalsSign:
                output.append(UInt8(ascii: "\\"))
                output.append(byte)
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                output.append(UInt8(ascii: "\\"))
                output.append(UInt8(ascii: " "))
            default:
                output.append(byte)
            }
        }
    }
}
