import Foundation

/// File access for the CLI: every failure becomes a ``CLIError`` naming the path.
enum Files {
    /// Reads a UTF-8 text file; a missing or unreadable file is a usage error.
    static func readText(_ path: String, what: String) throws(CLIError) -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw .usage("\(what) '\(path)' does not exist")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .usage("cannot read \(what) '\(path)' (permission denied?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw .usage("\(what) '\(path)' is not a text file")
        }
        return text
    }

    /// Creates `path` (mode `mode`, 0700 by default: it may hold secrets) and any missing
    /// parents (mode 0755, so other users such as `postgres` can reach their own
    /// directories below them). Modes are applied exactly, whatever the umask.
    static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws(CLIError) {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var missing: [String] = []
        var current = absolute
        while !current.isEmpty, current != "/", !FileManager.default.fileExists(atPath: current) {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        for (index, directory) in missing.reversed().enumerated() {
            let directoryMode: mode_t = index == missing.count - 1 ? mode : 0o755
            if mkdir(directory, directoryMode) == 0 {
                guard chmod(directory, directoryMode) == 0 else {
                    throw .usage("cannot set the mode of '\(directory)': \(String(cString: strerror(errno)))")
                }
            } else if errno != EEXIST {
                throw .usage("cannot create directory '\(directory)': \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Writes `bytes` to `path` atomically: a temporary file created with `mode`
    /// (so a secret is never readable by others, even briefly), flushed, renamed.
    static func write(_ bytes: some Sequence<UInt8>, to path: String, mode: mode_t = 0o644) throws(CLIError) {
        let data = Array(bytes)
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try makeDirectory(directory, mode: 0o755)
        }
        let temporary = "\(path).tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw .usage("cannot write '\(path)': \(String(cString: strerror(errno)))") }
        var written = 0
        while written < data.count {
            let result = data[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if result < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(descriptor)
                unlink(temporary)
                throw .failure("cannot write '\(path)': \(reason)")
            }
            written += result
        }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        // chmod applies `mode` exactly: the process umask may have narrowed it at creation.
        guard synced, chmod(temporary, mode) == 0, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw .failure("cannot write '\(path)': \(reason)")
        }
    }

    /// Writes text (UTF-8).
    static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(CLIError) {
        try write(Array(text.utf8), to: path, mode: mode)
    }

    /// The permission bits of `path`, if it exists.
    static func mode(of path: String) -> mode_t? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return info.st_mode & 0o777
    }
}
