// Writing a file so that a crash never leaves it half-written: the bytes go to a temporary file in the same
// folder, which is flushed to disk and then renamed over the target (rename() replaces a file atomically
// within one file system, so a reader sees the old file or the new one, never a mix).
//
// Why not Godot's FileAccess: in a running game FileAccess::open(path, WRITE) truncates the target at once and
// writes into it (drivers/unix/file_access_unix.cpp, Godot 4.6: the temporary-file mode, "backup save", is
// only switched on by the editor, from its setting filesystem/on_save/safe_save_on_backup_then_rename), so a
// crash or a full disk in the middle of a save destroys the previous model; tests/test_binary_model.py checks
// that this is still so. Even with backup save on, a failed write (fwrite short of its length, an fclose
// error) is still renamed over the target, and nothing is fsync'ed.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace lk {

// Writes [data, data + n) to the absolute path `path` through "<path>.tmp-<pid>-<k>"; "" on success, else a
// message naming the step that failed and the system's reason (the target is then untouched and the temporary
// file removed).
std::string write_file_atomic(const std::string& path, const uint8_t* data, size_t n);

}  // namespace lk
