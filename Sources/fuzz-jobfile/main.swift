// libFuzzer harness: an ofx-host job file decoded, resolved and checked as `ofx-host run` does before it
// renders (every entry's parameters and frame range). Any trap is a bug: a hostile file must end in an
// error. Build and run: `make fuzz` (tools/fuzz/README.md).
import Foundation
import FuzzSupport
import OFXHost

runFuzzer { bytes, size in
    guard let data = bytes else { return 0 }
    do {
        let file = try JobFile.decode(Data(bytes: data, count: size), path: "job.json", folder: "/jobs")
        for job in file.renders {
            _ = job.parameters
            _ = try? job.frameRange(default: 1...75)
        }
    } catch {
        _ = "\(error)"
    }
    return 0
}
