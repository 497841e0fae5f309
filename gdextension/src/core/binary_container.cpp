#include "core/binary_container.hpp"

namespace lk {

namespace {

std::string hex_bytes(const uint8_t* b, size_t n) {
    static const char digits[] = "0123456789abcdef";
    std::string t;
    for (size_t i = 0; i < n; ++i) {
        t += i ? " " : "";
        t += digits[b[i] >> 4];
        t += digits[b[i] & 15];
    }
    return t;
}

}  // namespace

uint32_t crc32(const uint8_t* data, size_t n) {
    // The reflected polynomial 0xEDB88320, table built once (thread-safe static initialisation).
    static const struct Table {
        uint32_t v[256];
        Table() {
            for (uint32_t i = 0; i < 256; ++i) {
                uint32_t c = i;
                for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
                v[i] = c;
            }
        }
    } table;
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) c = table.v[(c ^ data[i]) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

size_t bad_utf8_at(const uint8_t* b, size_t n) {
    for (size_t i = 0; i < n;) {
        const uint8_t c = b[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (c == 0 || len == 0 || i + len > n) return i;
        uint32_t cp = len == 1 ? c : c & (0x7F >> len);
        for (size_t k = 1; k < len; ++k) {
            if ((b[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (b[i + k] & 0x3F);
        }
        const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += len;
    }
    return n;
}

std::vector<uint8_t> wrap_payload(const std::vector<uint8_t>& payload) {
    ByteWriter w;
    w.bytes.reserve(kBinaryHeaderSize + payload.size());
    w.put(kBinaryMagic, sizeof(kBinaryMagic));
    w.u32(kBinaryVersion);
    w.u32(0);
    w.u64(payload.size());
    w.u32(crc32(payload.data(), payload.size()));
    w.put(payload.data(), payload.size());
    return std::move(w.bytes);
}

bool unwrap_payload(const uint8_t* file, size_t size, const uint8_t** payload, size_t* payload_size,
                    std::string* err) {
    const size_t m = sizeof(kBinaryMagic);
    // NOTE: an empty PackedByteArray's data() is null, and memcmp(nullptr, ..., 0) is undefined (UBSan's
    // nonnull-attribute check aborts on it).
    if (size == 0) {
        *err = "is empty: expected a LearnKit binary model";
        return false;
    }
    // The magic first, even on a short file: a 3-byte text file is "not a binary model", not "truncated".
    if (std::memcmp(file, kBinaryMagic, size < m ? size : m) != 0) {
        *err = "is not a LearnKit binary model (it starts with bytes " + hex_bytes(file, size < m ? size : m) +
               ", expected " + hex_bytes(kBinaryMagic, m) + ")";
        return false;
    }
    ByteReader r(file, size);
    uint32_t version = 0, flags = 0, crc = 0;
    uint64_t n = 0;
    if (!r.take(m) || !r.u32(&version)) {
        *err = "is truncated: " + std::to_string(size) + " bytes, shorter than the " +
               std::to_string(kBinaryHeaderSize) + "-byte header";
        return false;
    }
    // The version before the rest of the header: a newer LearnKit may lay the header out differently.
    if (version > kBinaryVersion) {
        *err = "was written by a newer LearnKit (binary model format version " + std::to_string(version) +
               "); this one reads version " + std::to_string(kBinaryVersion) + ": update LearnKit";
        return false;
    }
    if (version == 0) {
        *err = "has binary format version 0: expected 1 to " + std::to_string(kBinaryVersion);
        return false;
    }
    if (!r.u32(&flags) || !r.u64(&n) || !r.u32(&crc)) {
        *err = "is truncated: " + std::to_string(size) + " bytes, shorter than the " +
               std::to_string(kBinaryHeaderSize) + "-byte header";
        return false;
    }
    if (flags != 0) {
        *err = "has flags " + std::to_string(flags) + ": version " + std::to_string(kBinaryVersion) +
               " files have flags 0";
        return false;
    }
    if (n != r.left()) {
        *err = std::string(n > r.left() ? "is truncated" : "has trailing bytes") + ": its header declares " +
               std::to_string(n) + " payload bytes, the file holds " + std::to_string(r.left());
        return false;
    }
    const uint8_t* p = r.take(size_t(n));
    const uint32_t actual = crc32(p, size_t(n));
    if (actual != crc) {
        *err = "is corrupt: the payload's CRC-32 is " + std::to_string(actual) + ", the header says " +
               std::to_string(crc);
        return false;
    }
    *payload = p;
    *payload_size = size_t(n);
    return true;
}

}  // namespace lk
