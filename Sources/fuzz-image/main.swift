// libFuzzer harness: an image file (PNG when it starts with PNG's signature, else PFM) opened as a clip
// and decoded, as ofx-host reads an input frame. Any trap is a bug: a hostile file must end in an error.
// Build and run: `make fuzz` (tools/fuzz/README.md).
import Foundation
import FuzzSupport
import VideoIO

runFuzzer { bytes, size in
    guard let data = bytes else { return 0 }
    let isPNG = size >= 4 && data[0] == 0x89 && data[1] == 0x50 && data[2] == 0x4E && data[3] == 0x47
    let path = ScratchFile.write(data, size, name: isPNG ? "frame.png" : "frame.pfm")
    do {
        let clip = try openFrameSource(path)
        let image = try clip.frame(clip.firstFrame)
        precondition(image.pixels.count == image.width * image.height * 4, "a decoded image holds W×H×4 values")
    } catch {
        _ = "\(error)"
    }
    return 0
}
