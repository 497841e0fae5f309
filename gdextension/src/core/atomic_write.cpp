#include "core/atomic_write.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace lk {

namespace {

std::string reason() { return std::strerror(errno); }

// The folder part of a path ("." when there is none), to fsync it after the rename.
std::string folder_of(const std::string& path) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

std::string write_file_atomic(const std::string& path, const uint8_t* data, size_t n) {
    // A name of its own per call: two threads saving to the same path never write into one temporary file,
    // and a temporary file a crash left behind is never reused.
    static std::atomic<uint64_t> counter{0};
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) return "cannot create the temporary file \"" + tmp + "\" (" + reason() + ")";
    size_t limit = n;
#ifndef LK_RELEASE
    // Test hook (tests/test_binary_model.py): die in the middle of writing, as a crash or a killed process
    // would, leaving half a temporary file and the target as it was. Left out of release builds.
    const char* hook = std::getenv("LEARNKIT_TEST_CRASH_MID_SAVE");
    const bool crash = hook && *hook && std::strcmp(hook, "0") != 0;
    if (crash) limit = n / 2;
#endif
    size_t done = 0;
    while (done < limit) {
        const ssize_t w = ::write(fd, data + done, limit - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            const std::string e = "cannot write the temporary file \"" + tmp + "\" (" + reason() + ")";
            ::close(fd);
            ::unlink(tmp.c_str());
            return e;
        }
        done += size_t(w);
    }
#ifndef LK_RELEASE
    if (crash) std::_Exit(86);
#endif
    // fsync before the rename: otherwise after a power loss the rename may be on disk and the data not.
    if (::fsync(fd) != 0) {
        const std::string e = "cannot flush the temporary file \"" + tmp + "\" to disk (" + reason() + ")";
        ::close(fd);
        ::unlink(tmp.c_str());
        return e;
    }
    if (::close(fd) != 0) {
        const std::string e = "cannot close the temporary file \"" + tmp + "\" (" + reason() + ")";
        ::unlink(tmp.c_str());
        return e;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string e = "cannot rename \"" + tmp + "\" to \"" + path + "\" (" + reason() + ")";
        ::unlink(tmp.c_str());
        return e;
    }
    // The rename itself is durable once the folder is flushed; a failure here loses nothing already written.
    const int dir = ::open(folder_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return "";
}

}  // namespace lk
