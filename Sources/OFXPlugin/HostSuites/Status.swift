// The plugin's error type and its mapping to OfxStatus: every action returns a status, nothing throws
// across the C boundary.
import COpenFX

/// An error an action reports to the host; `message` is what the user sees.
struct PluginError: Error, CustomStringConvertible {
    var status: OfxStatus
    var message: String
    var description: String { message }

    static func failed(_ message: String) -> PluginError { PluginError(status: OfxStatus(kOfxStatFailed), message: message) }
    static func host(_ status: OfxStatus, _ what: String) -> PluginError {
        PluginError(status: status, message: "host call \(what) failed with status \(status)")
    }
}

/// Calls a host function and turns a non-OK status into a thrown `PluginError`.
@inline(__always)
func check(_ status: OfxStatus, _ what: @autoclosure () -> String) throws {
    if status != kOfxStatOK { throw PluginError.host(status, what()) }
}
