// GGUFError: everything that can go wrong reading, validating or writing a GGUF file.
//
// Every case says what was wrong and where (byte offset, key or tensor name), so that a user who
// points Loom at a broken or hostile file learns which part is broken. `description` is one sentence.

import LoomTensor

/// A typed error from reading, validating or writing GGUF.
public enum GGUFError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file could not be opened, inspected or mapped.
    case cannotOpen(path: String, reason: String)
    /// The first four bytes are not "GGUF".
    case badMagic(found: UInt32)
    /// The version field is not 2 or 3 (v1 used 32-bit counts; a big-endian v3 reads as 0x03000000).
    case unsupportedVersion(UInt32)
    /// The file ends before `what`, which needs `needed` bytes at `offset`.
    case truncated(what: String, offset: Int, needed: UInt64, fileSize: Int)
    /// A count or length read at `offset` is beyond the sane cap for `what`.
    case limitExceeded(what: String, offset: Int, value: UInt64, limit: UInt64)
    /// The string for `what` at `offset` is not valid UTF-8.
    case invalidUTF8(what: String, offset: Int)
    /// A bool value is neither 0 nor 1.
    case invalidBool(what: String, offset: Int, byte: UInt8)
    /// A metadata value type id is not one GGUF defines.
    case unknownValueType(what: String, offset: Int, raw: UInt32)
    /// Arrays nest deeper than the cap.
    case nestingTooDeep(key: String, offset: Int, limit: Int)
    /// A metadata key occurs twice.
    case duplicateKey(String, offset: Int)
    /// `general.alignment` is not a non-zero power of two stored as uint32.
    case invalidAlignment(String)
    /// Two tensors share a name.
    case duplicateTensorName(String)
    /// A tensor has more dimensions than ggml supports (4).
    case tooManyDimensions(tensor: String, count: UInt32, limit: Int)
    /// A tensor's element count (or byte count) does not fit in a signed 64-bit integer.
    case elementCountOverflow(tensor: String, shape: [UInt64])
    /// A tensor's type id is not a GGML type this build knows.
    case unknownTensorType(tensor: String, raw: UInt32)
    /// A tensor's row length (its first dimension) is not a multiple of its type's block size.
    case rowNotBlockMultiple(tensor: String, type: GGMLType, rowLength: Int)
    /// A tensor's data offset is not a multiple of the file's alignment.
    case misalignedTensorOffset(tensor: String, offset: UInt64, alignment: Int)
    /// A tensor's bytes run past the end of the data section.
    case tensorOutOfBounds(tensor: String, offset: UInt64, size: Int, dataSize: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(first: String, second: String)
    /// A metadata key that was asked for is absent.
    case missingKey(String)
    /// A metadata key holds a value of another type than the one asked for.
    case typeMismatch(key: String, expected: String, found: String)
    /// A metadata value does not fit the type it was asked as.
    case valueOutOfRange(key: String, value: String, target: String)
    /// A tensor handed to the writer has a byte count other than its type and shape imply.
    case tensorDataSizeMismatch(tensor: String, expected: Int, actual: Int)
    /// A tensor handed to the writer has an invalid shape (negative dimension, none, or too many).
    case invalidShape(tensor: String, shape: [Int])
    /// The provider of a tensor's bytes failed while writing.
    case tensorDataUnavailable(tensor: String, reason: String)
    /// Writing the file failed.
    case writeFailed(path: String, reason: String)

    /// One clear sentence.
    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open GGUF file '\(path)': \(reason)"
        case let .badMagic(found):
            return "not a GGUF file: magic is 0x\(String(found, radix: 16)) instead of 0x46554747 (\"GGUF\")"
        case let .unsupportedVersion(v):
            let hint = v == 1 ? " (GGUF v1 is obsolete)" : (v.byteSwapped <= 3 ? " (big-endian GGUF is not supported)" : "")
            return "unsupported GGUF version \(v)\(hint); Loom reads versions 2 and 3"
        case let .truncated(what, offset, needed, fileSize):
            return "truncated GGUF: \(needed) bytes needed for \(what) at offset \(offset), but the file has \(fileSize)"
        case let .limitExceeded(what, offset, value, limit):
            return "implausible GGUF: \(what) at offset \(offset) is \(value), beyond the limit of \(limit)"
        case let .invalidUTF8(what, offset):
            return "invalid GGUF: \(what) at offset \(offset) is not valid UTF-8"
        case let .invalidBool(what, offset, byte):
            return "invalid GGUF: bool \(what) at offset \(offset) is \(byte), not 0 or 1"
        case let .unknownValueType(what, offset, raw):
            return "invalid GGUF: \(what) at offset \(offset) has unknown value type \(raw)"
        case let .nestingTooDeep(key, offset, limit):
            return "invalid GGUF: metadata '\(key)' nests arrays deeper than \(limit) at offset \(offset)"
        case let .duplicateKey(key, offset):
            return "invalid GGUF: metadata key '\(key)' appears twice (again at offset \(offset))"
        case let .invalidAlignment(value):
            return "invalid GGUF: general.alignment must be a non-zero power of two stored as uint32, found \(value)"
        case let .duplicateTensorName(name):
            return "invalid GGUF: tensor name '\(name)' appears twice"
        case let .tooManyDimensions(tensor, count, limit):
            return "invalid GGUF: tensor '\(tensor)' has \(count) dimensions, at most \(limit) are supported"
        case let .elementCountOverflow(tensor, shape):
            return "invalid GGUF: tensor '\(tensor)' with shape \(shape) has more elements or bytes than fit in 64 bits"
        case let .unknownTensorType(tensor, raw):
            return "invalid GGUF: tensor '\(tensor)' has unknown or removed type id \(raw)"
        case let .rowNotBlockMultiple(tensor, type, rowLength):
            return "invalid GGUF: tensor '\(tensor)' of type \(type) has row length \(rowLength), not a multiple of its block size \(type.blockSize)"
        case let .misalignedTensorOffset(tensor, offset, alignment):
            return "invalid GGUF: tensor '\(tensor)' has data offset \(offset), not a multiple of the alignment \(alignment)"
        case let .tensorOutOfBounds(tensor, offset, size, dataSize):
            return "invalid GGUF: tensor '\(tensor)' (\(size) bytes at data offset \(offset)) runs past the end of the \(dataSize)-byte data section"
        case let .overlappingTensors(first, second):
            return "invalid GGUF: the data of tensors '\(first)' and '\(second)' overlap"
        case let .missingKey(key):
            return "GGUF metadata has no key '\(key)'"
        case let .typeMismatch(key, expected, found):
            return "GGUF metadata '\(key)' is \(found), expected \(expected)"
        case let .valueOutOfRange(key, value, target):
            return "GGUF metadata '\(key)' = \(value) does not fit in \(target)"
        case let .tensorDataSizeMismatch(tensor, expected, actual):
            return "tensor '\(tensor)' has \(actual) bytes of data but its type and shape need \(expected)"
        case let .invalidShape(tensor, shape):
            return "tensor '\(tensor)' has invalid shape \(shape): 1 to 4 non-negative dimensions are needed"
        case let .tensorDataUnavailable(tensor, reason):
            return "could not produce the data of tensor '\(tensor)': \(reason)"
        case let .writeFailed(path, reason):
            return "cannot write GGUF file '\(path)': \(reason)"
        }
    }
}
