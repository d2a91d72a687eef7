import Foundation

/// A real terminal for a command, as a person at a keyboard has it: a pseudo-terminal of 100×30
/// whose foreground job is the command, driven by a script of steps (wait until the screen shows
/// a text, then type keys). Python's `pty` module does the terminal work; a command that stops
/// (the way a terminal stops a job outside its foreground group) or never ends fails the run.
public struct TerminalSession {
    public enum Step: Sendable {
        /// Wait until the output so far contains this text.
        case wait(String)
        /// Type these bytes (`\u{1B}` is Escape, `\r` is Enter).
        case type(String)
        /// Let the program draw for a moment.
        case pause(Double)
    }

    public struct Outcome: Sendable, CustomStringConvertible {
        /// The command's exit status; nil when it had to be killed (stopped, or still running).
        public var status: Int32?
        public var transcript: String
        public var failure: String?
        public var description: String { "status \(status.map(String.init) ?? "none"), \(failure ?? "ok")\n--- transcript ---\n\(transcript.suffix(3000))" }
    }

    public static var isAvailable: Bool { which("python3") != nil }

    public static func which(_ program: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(program)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// Runs `arguments` in `directory` on a new terminal, following `steps`, then waits for the end.
    public static func run(
        _ arguments: [String], in directory: URL, environment extra: [String: String] = [:], steps: [Step], timeout: Double = 20
    ) throws -> Outcome {
        let script = Scratch.path("pty-driver", extension: "py")
        try Data(driver.utf8).write(to: script)
        let plan: [[String: Any]] = steps.map { step in
            switch step {
            case .wait(let text): ["wait": text]
            case .type(let keys): ["type": keys]
            case .pause(let seconds): ["pause": seconds]
            }
        }
        let request: [String: Any] = ["argv": arguments, "cwd": directory.path, "steps": plan, "timeout": timeout]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: which("python3") ?? "/usr/bin/python3")
        process.arguments = [script.path]
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "xterm"
        env["NO_COLOR"] = "1"
        env.removeValue(forKey: "GALLEY_WORKSPACE")
        for (k, v) in extra { env[k] = v }
        process.environment = env
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let reply = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return Outcome(
            status: (reply["status"] as? Int).map(Int32.init), transcript: reply["transcript"] as? String ?? String(decoding: data, as: UTF8.self),
            failure: reply["failure"] as? String)
    }

    static let driver = #"""
        import json, os, pty, select, signal, struct, sys, time, fcntl, termios
        req = json.load(sys.stdin)
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(req["cwd"])
            os.execvp(req["argv"][0], req["argv"])
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        out = b""
        deadline = time.time() + req["timeout"]
        failure = None
        def pump(wait):
            """Reads what the program wrote: True if something came, None if nothing did in `wait`
            seconds, False once the terminal is closed."""
            global out
            r, _, _ = select.select([fd], [], [], wait)
            if not r:
                return None
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return False
            if not chunk:
                return False
            out += chunk
            return True
        def stopped():
            try:
                with open("/proc/%d/stat" % pid) as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
                if state == "T":
                    return True
                # A child of the command (the editor) stopped by the terminal counts too.
                for task in os.listdir("/proc"):
                    if task.isdigit():
                        try:
                            with open("/proc/%s/stat" % task) as f:
                                fields = f.read().rsplit(")", 1)[1].split()
                            if fields[0] == "T" and int(fields[1]) == pid:
                                return True
                        except OSError:
                            pass
            except OSError:
                pass
            return False
        for step in req["steps"]:
            if failure:
                break
            if "wait" in step:
                want = step["wait"].encode()
                while want not in out:
                    if time.time() > deadline:
                        failure = "timed out waiting for %r" % step["wait"]
                        break
                    if stopped():
                        failure = "the program was stopped by the terminal (state T) while waiting for %r" % step["wait"]
                        break
                    if pump(0.1) is False:
                        failure = "the program ended while waiting for %r" % step["wait"]
                        break
            elif "type" in step:
                # Keep reading while typing: a program whose output is not read stops reading input.
                for ch in step["type"].encode():
                    os.write(fd, bytes([ch]))
                    pump(0.005)
            elif "pause" in step:
                end = time.time() + step["pause"]
                while time.time() < end:
                    pump(0.05)
        status = None
        while failure is None:
            done, raw = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(raw)
                break
            if time.time() > deadline:
                failure = "the program did not end in time"
                break
            if stopped():
                failure = "the program was stopped by the terminal (state T)"
                break
            pump(0.1)
        while pump(0.05) is True:
            pass
        if status is None:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        print(json.dumps({"status": status, "failure": failure, "transcript": out.decode("utf-8", "replace")}))
        """#
}
