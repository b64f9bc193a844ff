// fuzz-safetensors: any bytes as a .safetensors file → the header reader (SafetensorsFile's
// parseHeader, the same code `loom convert` runs over a mapping) → a typed ConvertError or tensors
// whose byte ranges lie inside the data section with sizes equal to elements × dtype size.
// Seeds: Fuzz/Corpus/safetensors (small files written by the safetensors tests' layout).

import FuzzSupport
@testable import LoomConvert

Fuzz.run { bytes in
    guard let header = try? SafetensorsFile.parseHeader(bytes, file: "fuzz.safetensors") else { return }
    let dataSize = bytes.count - header.dataOffset
    Fuzz.check(header.dataOffset >= 8 && header.dataOffset <= bytes.count, "data offset \(header.dataOffset) outside the file")
    for t in header.tensors {
        Fuzz.check(t.byteRange.lowerBound >= 0 && t.byteRange.upperBound <= dataSize, "tensor \(t.name) range \(t.byteRange) beyond \(dataSize)")
        Fuzz.check(t.elementCount * t.dtype.byteSize == t.byteRange.count, "tensor \(t.name) size mismatch")
        if t.dtype.isConvertible {
            let start = header.dataOffset + t.byteRange.lowerBound
            let floats = TensorEncoding.decode(UnsafeRawBufferPointer(rebasing: bytes[start..<start + t.byteRange.count]), dtype: t.dtype)
            Fuzz.check(floats.count == t.elementCount, "decoded \(floats.count) of \(t.elementCount) elements")
        }
    }
}
