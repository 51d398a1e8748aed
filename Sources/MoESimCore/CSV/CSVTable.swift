// CSV/: reading CSV text (RFC 4180) into a table of strings, for every folder that reads
// CSV files (Plot/ plots them, Validation/ reads measurements). Depends on Foundation only;
// writing CSV stays in Report/ (`CSVWriter`).
import Foundation

/// A CSV file read whole (RFC 4180): a header of column names, then rows of text fields.
/// Fields may be quoted, with doubled quotes, commas and line breaks inside; lines end in
/// LF or CRLF; blank lines are skipped; a leading byte-order mark is dropped.
public struct CSVTable: Sendable, Equatable {
    /// Where the text came from (a path), quoted in every error message.
    public let source: String
    /// The column names, in file order.
    public let header: [String]
    /// The data rows; every row has `header.count` fields.
    public let rows: [[String]]
    /// The file line each row starts on (the header is line 1), for messages.
    public let lineNumbers: [Int]

    /// Parses `text`.
    /// - Throws: `CSVError.empty` without a header, `.malformed` naming the line of a stray or
    ///   unterminated quote or of a row whose field count differs from the header's.
    /// - Complexity: O(characters).
    public init(text: String, source: String) throws {
        self.source = source
        var records: [[String]] = []
        var recordLines: [Int] = []
        var record: [String] = []
        var field = String.UnicodeScalarView()
        var quoted = false, inQuotes = false
        var line = 1, recordLine = 1
        var scalars = text.unicodeScalars.makeIterator()
        var pending = scalars.next()
        if pending == "\u{FEFF}" { pending = scalars.next() }

        func endRecord() {
            record.append(String(field))
            field = String.UnicodeScalarView()
            if record != [""] || quoted {
                records.append(record)
                recordLines.append(recordLine)
            }
            record = []
            quoted = false
        }

        while let scalar = pending {
            pending = scalars.next()
            if inQuotes {
                if scalar == "\"" {
                    if pending == "\"" { field.append("\""); pending = scalars.next() } else { inQuotes = false }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"":
                guard field.isEmpty && !quoted else {
                    throw CSVError.malformed(source: source, line: line, reason:
                        "a quote inside an unquoted field; quote the whole field and double the quotes inside it")
                }
                quoted = true
                inQuotes = true
            case ",":
                record.append(String(field))
                field = String.UnicodeScalarView()
                quoted = false
            case "\n", "\r":
                if scalar == "\r" && pending == "\n" { pending = scalars.next() }
                endRecord()
                line += 1
                recordLine = line
            default:
                guard !quoted else {
                    throw CSVError.malformed(source: source, line: line, reason:
                        "text after a closing quote; a quoted field must end at a comma or the end of the line")
                }
                field.append(scalar)
            }
        }
        if inQuotes {
            throw CSVError.malformed(source: source, line: recordLine, reason:
                "a quoted field that starts here is never closed; add the closing quote")
        }
        if !field.isEmpty || !record.isEmpty || quoted { endRecord() }

        guard let header = records.first else { throw CSVError.empty(source: source) }
        for (fields, fileLine) in zip(records.dropFirst(), recordLines.dropFirst()) where fields.count != header.count {
            throw CSVError.malformed(source: source, line: fileLine, reason:
                "\(fields.count) field(s), but the header has \(header.count); every row needs one field per column")
        }
        self.header = header
        self.rows = Array(records.dropFirst())
        self.lineNumbers = Array(recordLines.dropFirst())
    }

    /// Reads and parses the file at `path`.
    /// - Throws: `CSVError.missingFile`, `.unreadable` (a directory, no permission), `.notUTF8`,
    ///   or a parse error.
    /// - Complexity: O(file size).
    public static func load(path: String) throws -> CSVTable {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CSVError.missingFile(path: path)
        }
        guard !isDirectory.boolValue else {
            throw CSVError.unreadable(path: path, reason: "it is a directory; name a CSV file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CSVError.unreadable(path: path, reason: "permission denied or I/O error")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CSVError.notUTF8(path: path)
        }
        return try CSVTable(text: text, source: path)
    }

    /// The index of the column named `name` (exact match), for the option `flag`.
    /// - Throws: `CSVError.unknownColumn` listing the header, or `.ambiguousColumn`.
    /// - Complexity: O(columns).
    public func columnIndex(_ name: String, flag: String) throws -> Int {
        let matches = header.indices.filter { header[$0] == name }
        guard let index = matches.first else {
            throw CSVError.unknownColumn(source: source, flag: flag, column: name, available: header)
        }
        guard matches.count == 1 else { throw CSVError.ambiguousColumn(source: source, flag: flag, column: name) }
        return index
    }
}
