// ofx-host: a progress bar on stderr, fed by the frames done and by the plugin's progress suite.
import Foundation
import OFXHost

final class ProgressBar: @unchecked Sendable {
    private let title: String
    private let lock = NSLock()
    private var frames = 1
    private var framesDone = 0
    private var pluginFraction = 0.0
    private var label = ""
    private let isTerminal = isatty(2) != 0

    init(title: String) {
        self.title = title
        HostControl.progress = ProgressHandler(
            start: { [weak self] l in self?.update { $0.label = l; $0.pluginFraction = 0 } },
            update: { [weak self] f in self?.update { $0.pluginFraction = f } },
            end: { [weak self] in self?.update { $0.pluginFraction = 0 } })
    }

    func beginFrames(_ count: Int) { update { $0.frames = max(count, 1) } }
    func frameDone(_ n: Int) { update { $0.framesDone = n; $0.pluginFraction = 0 } }

    /// A message from the plugin, printed on its own line.
    func note(_ text: String) {
        lock.withLock { FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + "  \(text)\n").utf8)) }
    }

    func finish() {
        lock.withLock { if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) } }
    }

    private func update(_ change: (ProgressBar) -> Void) {
        lock.withLock {
            change(self)
            let fraction = min(1, (Double(framesDone) + pluginFraction) / Double(frames))
            let width = 30, filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
            let line = "\(title) [\(bar)] \(Int(fraction * 100))% frame \(min(framesDone + 1, frames))/\(frames) \(label)"
            // Not a terminal (CI logs): one line per finished frame only.
            if isTerminal {
                FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            } else if pluginFraction == 0 && framesDone > 0 {
                FileHandle.standardError.write(Data("\(title): \(framesDone)/\(frames) frames\n".utf8))
            }
        }
    }
}
