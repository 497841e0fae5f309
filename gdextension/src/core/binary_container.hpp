// The container of LearnKit's binary model files (.lkm), Godot-free: a fixed header, then one payload whose
// checksum the header carries. What the payload holds (a tagged tree of values) is api/model_binary.cpp's.
//
//   offset  size  field
//        0     8  magic "\x89LKM\r\n\x1a\n" (PNG's trick: the high byte and the line ends catch a file that was
//                 sent through a text-mode transfer or read as text)
//        8     4  container version, u32 little-endian (kBinaryVersion)
//       12     4  flags, u32, 0 in version 1 (a reader refuses flags it does not know)
//       16     8  payload size in bytes, u64
//       24     4  CRC-32 (IEEE 802.3, as zlib's crc32) of the payload
//       28     -  payload: exactly `payload size` bytes, nothing after it
//
// Everything is little-endian. A reader checks every size against the bytes it really has before it
// allocates anything, so a header or count that claims gigabytes is an error, never an allocation.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace lk {

constexpr uint8_t kBinaryMagic[8] = {0x89, 'L', 'K', 'M', '\r', '\n', 0x1A, '\n'};
constexpr uint32_t kBinaryVersion = 1;
constexpr size_t kBinaryHeaderSize = 28;

uint32_t crc32(const uint8_t* data, size_t n);

// The offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF) or is a NUL, else n.
size_t bad_utf8_at(const uint8_t* b, size_t n);

// Appends little-endian values to a byte vector.
class ByteWriter {
public:
    std::vector<uint8_t> bytes;
    void u8(uint8_t v) { bytes.push_back(v); }
    void u32(uint32_t v) { put(&v, 4); }
    void u64(uint64_t v) { put(&v, 8); }
    void f64(double v) { put(&v, 8); }
    // x86-64 and every platform Godot ships on is little-endian, so values are copied as they are in memory.
    void put(const void* p, size_t n) {
        const uint8_t* b = static_cast<const uint8_t*>(p);
        bytes.insert(bytes.end(), b, b + n);
    }
};

// Reads little-endian values from [data, data + size); every read checks the bytes left first and returns
// false (reading nothing) when there are too few.
class ByteReader {
public:
    ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    size_t pos() const { return pos_; }
    size_t left() const { return size_ - pos_; }
    bool u8(uint8_t* v) { return get(v, 1); }
    bool u32(uint32_t* v) { return get(v, 4); }
    bool u64(uint64_t* v) { return get(v, 8); }
    bool f64(double* v) { return get(v, 8); }
    bool get(void* out, size_t n) {
        if (n > left()) return false;
        if (n) std::memcpy(out, data_ + pos_, n);
        pos_ += n;
        return true;
    }
    // A pointer to the next n bytes (and skips them), or nullptr when there are fewer.
    const uint8_t* take(size_t n) {
        if (n > left()) return nullptr;
        const uint8_t* p = data_ + pos_;
        pos_ += n;
        return p;
    }

private:
    const uint8_t* data_;
    size_t size_;
    size_t pos_ = 0;
};

// The whole file: header + payload.
std::vector<uint8_t> wrap_payload(const std::vector<uint8_t>& payload);

// Checks the header and checksum of a whole file; on success *payload / *payload_size point into `file`.
// Otherwise false and *err says what is wrong ("is not a LearnKit binary model (...)", "is truncated ...").
bool unwrap_payload(const uint8_t* file, size_t size, const uint8_t** payload, size_t* payload_size,
                    std::string* err);

}  // namespace lk
