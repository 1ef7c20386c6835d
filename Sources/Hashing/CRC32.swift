import CIsal
import Foundation

/// CRC-32 as gzip and S3's `CRC32` checksum define it (ISO-HDLC, reflected, 0xEDB88320), through
/// ISA-L's carry-less-multiply code: several GB/s a core, so checking a part costs little.
public enum CRC32 {
    /// The CRC of `bytes` continued from `crc` (0 to start).
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return crc32_gzip_refl(crc, base.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// The form of S3's `x-amz-checksum-crc32` header and `ChecksumCRC32` element: the four bytes
    /// big-endian, in base64.
    public static func base64(_ crc: UInt32) -> String {
        let bytes = [UInt8(crc >> 24), UInt8(crc >> 16 & 0xff), UInt8(crc >> 8 & 0xff), UInt8(crc & 0xff)]
        return Data(bytes).base64EncodedString()
    }
}
