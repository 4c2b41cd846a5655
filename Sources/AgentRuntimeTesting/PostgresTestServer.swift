import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL cluster for tests: one per test process, started on first use from the system's
/// binaries (`/usr/lib/postgresql/*/bin`) in a temporary directory, listening on 127.0.0.1 on a free port (trust
/// authentication, `fsync=off`), and stopped (`SIGQUIT`, an immediate shutdown) with its directory removed when the
/// process exits. Each test asks for its own fresh database with ``makeDatabase()``.
///
/// `initdb` refuses to run as root, so as root the cluster runs as the `postgres` system user (`runuser`). A cluster
/// left behind by a test process that was killed is stopped and removed by the next one.
public struct PostgresTestServer: Sendable {
    /// The port on 127.0.0.1.
    public let port: Int
    /// The cluster's directory (data, socket and log).
    public let directory: URL
    /// The directory of the PostgreSQL binaries.
    let binaries: URL

    /// The directory names of test clusters under the temporary directory start with this.
    static let prefix = "agentruntime-pg-"

    /// The process's cluster, started on first use.
    public static func shared() async throws -> PostgresTestServer {
        try await SharedPostgresServer.instance.server()
    }

    /// Whether PostgreSQL's server binaries are installed.
    public static var isInstalled: Bool { (try? binaryDirectory()) != nil }

    /// A new, empty database in the cluster; returns its URL (`postgres://postgres@127.0.0.1:PORT/NAME`).
    public func makeDatabase() async throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await Self.offPool { try makeDatabase(named: name) }
        return url(database: name)
    }

    private func makeDatabase(named name: String) throws {
        try Self.runTool(
            binaries.appendingPathComponent("createdb"), ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", name],
            asPostgres: false, log: directory.appendingPathComponent("tools.log"))
    }

    /// Runs `sql` in `database` with `psql` (stops at the first error, which is thrown).
    public func execute(_ sql: String, database: String) async throws {
        try await Self.offPool { try execute(sql, in: database) }
    }

    private func execute(_ sql: String, in database: String) throws {
        try Self.runTool(
            binaries.appendingPathComponent("psql"),
            ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql],
            asPostgres: false, log: directory.appendingPathComponent("tools.log"))
    }

    /// The URL of `database` in this cluster (no TLS: it listens on loopback only).
    public func url(database: String) -> String {
        "postgres://postgres@127.0.0.1:\(port)/\(database)?sslmode=disable"
    }

    /// A cluster of the caller's own (not the process's shared one), for tests that stop and restart the server;
    /// the caller removes it with ``remove()`` (one whose process was killed is removed by the next test process).
    public static func startPrivate() async throws -> PostgresTestServer { try await offPool { try start() } }

    /// Stops the server at once (`pg_ctl stop -m immediate`, as in a crash): connections drop and new ones are
    /// refused until ``restart()``. The cluster commits without waiting for its log (`synchronous_commit=off`): run
    /// `CHECKPOINT` first to keep the last moment's commits.
    public func stopImmediately() async throws {
        try await Self.offPool { try stopNow() }
    }

    private func stopNow() throws {
        try Self.runTool(
            binaries.appendingPathComponent("pg_ctl"),
            ["-D", directory.appendingPathComponent("data").path, "-m", "immediate", "-w", "-t", "60", "stop"],
            asPostgres: getuid() == 0, log: directory.appendingPathComponent("tools.log"))
    }

    /// Starts a server stopped by ``stopImmediately()`` again, on the same port and with the same settings
    /// (blocking until it accepts connections).
    public func restart() async throws {
        try await Self.offPool { try startAgain() }
    }

    private func startAgain() throws {
        let options =
            "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory.path) -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        try Self.runTool(
            binaries.appendingPathComponent("pg_ctl"),
            [
                "-D", directory.appendingPathComponent("data").path, "-l",
                directory.appendingPathComponent("server.log").path, "-o", options, "-w", "-t", "60", "start",
            ], asPostgres: getuid() == 0, log: directory.appendingPathComponent("tools.log"))
    }

    /// Stops the server and removes its directory (for a cluster from ``startPrivate()``).
    public func remove() { Self.stop(directory: directory) }

    /// Runs blocking work (PostgreSQL tools run to completion) on a thread of its own: the cooperative pool has as
    /// many threads as cores (two here), and a test process whose pool waits for `createdb` or `initdb` freezes
    /// every other test running beside it.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// The newest installed version's binaries.
    static func binaryDirectory() throws -> URL {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        let found =
            versions.compactMap { version -> (Int, URL)? in
                let bin = root.appendingPathComponent(version).appendingPathComponent("bin")
                guard let number = Int(version),
                    FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("initdb").path)
                else { return nil }
                return (number, bin)
            }.max { $0.0 < $1.0 }
        guard let found else {
            throw PostgresTestServerError(
                "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); apt-get install postgresql")
        }
        return found.1
    }

    /// Starts a cluster (blocking until it accepts connections).
    static func start() throws -> PostgresTestServer {
        removeAbandonedClusters()
        let binaries = try binaryDirectory()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent(prefix + UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("\(getpid())".utf8).write(to: directory.appendingPathComponent("owner.pid"))
        let asPostgres = getuid() == 0
        if asPostgres {
            try FileManager.default.setAttributes([.ownerAccountName: "postgres"], ofItemAtPath: directory.path)
        }
        let log = directory.appendingPathComponent("tools.log")
        let data = directory.appendingPathComponent("data").path
        try runTool(
            binaries.appendingPathComponent("initdb"),
            ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
            asPostgres: asPostgres, log: log)
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = try freePort()
            let options =
                "-c listen_addresses=127.0.0.1 -p \(port) -k \(directory.path) -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
            do {
                try runTool(
                    binaries.appendingPathComponent("pg_ctl"),
                    [
                        "-D", data, "-l", directory.appendingPathComponent("server.log").path, "-o", options, "-w",
                        "-t", "60", "start",
                    ], asPostgres: asPostgres, log: log)
                return PostgresTestServer(port: port, directory: directory, binaries: binaries)
            } catch { lastError = error }
        }
        throw lastError ?? PostgresTestServerError("the test cluster did not start")
    }

    /// Stops the cluster at once and removes its directory (safe to call from `atexit`: no child process).
    static func stop(directory: URL) {
        let pidFile = directory.appendingPathComponent("data").appendingPathComponent("postmaster.pid")
        if let text = try? String(contentsOf: pidFile, encoding: .utf8),
            let pid = text.split(separator: "\n").first.flatMap({ pid_t($0.trimmingCharacters(in: .whitespaces)) }),
            pid > 0
        {
            kill(pid, SIGQUIT)
            for _ in 0..<100 where kill(pid, 0) == 0 { usleep(50_000) }
            if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Stops and removes clusters whose test process is gone (it was killed before it could).
    static func removeAbandonedClusters() {
        let temporary = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []
        where name.hasPrefix(prefix) {
            let directory = temporary.appendingPathComponent(name, isDirectory: true)
            guard
                let owner = (try? String(contentsOf: directory.appendingPathComponent("owner.pid"), encoding: .utf8))
                    .flatMap({ pid_t($0) }),
                kill(owner, 0) != 0, errno == ESRCH
            else { continue }
            stop(directory: directory)
        }
    }

    /// A free port on 127.0.0.1 (bound and released; the server binds it next).
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw PostgresTestServerError("socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw PostgresTestServerError("cannot bind a port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Closes every descriptor above 2 in the child: the server outlives the tool, and must not hold the test
    /// process's sockets and files open (a test waiting for a peer to close its connection would wait forever).
    /// glibc's `posix_spawn_file_actions_addclosefrom_np` is not imported into Swift, so it is looked up by name;
    /// without it, each descriptor open now is closed.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
            return
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let descriptor = Int32(name), descriptor > 2 { posix_spawn_file_actions_addclose(&actions, descriptor) }
        }
    }

    /// Runs a PostgreSQL tool to completion (as `postgres` when asked) in the log's directory, its output appended
    /// to `log`. Spawned and reaped directly (`posix_spawn`, `waitpid`) with every signal unblocked: Foundation's
    /// `Process` can miss the exit of `pg_ctl`, whose server lives on.
    static func runTool(_ tool: URL, _ arguments: [String], asPostgres: Bool, log: URL) throws {
        let command =
            (asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--"] : [])
            + ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", log.deletingLastPathComponent().path, tool.path]
            + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        closeInheritedDescriptors(&actions)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = command.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, command[0], &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            throw PostgresTestServerError(
                "cannot start \(tool.lastPathComponent): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        let exitCode = (status >> 8) & 0xff
        guard status & 0x7f == 0, exitCode == 0 else {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            throw PostgresTestServerError(
                "\(tool.lastPathComponent) exited with status \(status): \(text.suffix(2000))")
        }
    }
}
