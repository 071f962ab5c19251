// OFXHost — the small suites: memory, multithread, message V2, progress V1/V2 and timeline.
import COFXHostShim
import COpenFX
import Foundation

private var rt: HostRuntime { HostRuntime.shared }

/// Blocks from memoryAlloc, by address, so memoryFree can check what it is given.
private final class MemoryBlocks: @unchecked Sendable {
    static let shared = MemoryBlocks()
    let lock = NSLock()
    var live: Set<UnsafeMutableRawPointer> = []
}

func makeMemorySuite() -> OfxMemorySuiteV1 {
    OfxMemorySuiteV1(
        memoryAlloc: { _, bytes, out in
            guard let out else { return rt.problem("memoryAlloc with a NULL pointer", kOfxStatErrValue) }
            guard let p = malloc(max(bytes, 1)) else { return OfxStatus(kOfxStatErrMemory) }
            MemoryBlocks.shared.lock.withLock { _ = MemoryBlocks.shared.live.insert(p) }
            out.pointee = p
            return OfxStatus(kOfxStatOK)
        },
        memoryFree: { p in
            guard let p, MemoryBlocks.shared.lock.withLock({ MemoryBlocks.shared.live.remove(p) }) != nil else {
                return rt.problem("memoryFree called with memory not from memoryAlloc")
            }
            free(p)
            return OfxStatus(kOfxStatOK)
        })
}

/// The spawned-thread index of the calling thread (multiThreadIndex), nil outside multiThread.
private let threadIndexKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key, nil)
    return key
}()

private final class MultiThreadState: @unchecked Sendable {
    static let shared = MultiThreadState()
    let lock = NSLock()
    var running = false
}

func makeMultiThreadSuite() -> OfxMultiThreadSuiteV1 {
    OfxMultiThreadSuiteV1(
        multiThread: { fn, n, arg in
            guard let fn else { return rt.problem("multiThread with a NULL function", kOfxStatErrValue) }
            let state = MultiThreadState.shared
            // The suite is not recursive (ofx-abi.md §4.5).
            if state.lock.withLock({ state.running ? true : { state.running = true; return false }() }) {
                return OfxStatus(kOfxStatErrExists)
            }
            defer { state.lock.withLock { state.running = false } }
            let count = max(Int(n), 1)
            let argBits = UInt(bitPattern: arg)
            DispatchQueue.concurrentPerform(iterations: count) { i in
                pthread_setspecific(threadIndexKey, UnsafeRawPointer(bitPattern: i + 1))
                fn(UInt32(i), UInt32(count), UnsafeMutableRawPointer(bitPattern: argBits))
                pthread_setspecific(threadIndexKey, nil)
            }
            return OfxStatus(kOfxStatOK)
        },
        multiThreadNumCPUs: { out in
            out?.pointee = UInt32(ProcessInfo.processInfo.activeProcessorCount)
            return OfxStatus(kOfxStatOK)
        },
        multiThreadIndex: { out in
            let v = Int(bitPattern: pthread_getspecific(threadIndexKey))
            out?.pointee = UInt32(max(v - 1, 0))
            return OfxStatus(kOfxStatOK)
        },
        multiThreadIsSpawnedThread: { pthread_getspecific(threadIndexKey) != nil ? 1 : 0 },
        mutexCreate: { out, count in
            guard let out else { return rt.problem("mutexCreate with a NULL pointer", kOfxStatErrValue) }
            let m = NSRecursiveLock()
            for _ in 0..<max(count, 0) { m.lock() }
            out.pointee = OpaquePointer(rt.registry.handle(for: m))
            return OfxStatus(kOfxStatOK)
        },
        mutexDestroy: { h in
            guard let m = rt.registry.lookup(UnsafeRawPointer(h), as: NSRecursiveLock.self) else { return rt.problem("mutexDestroy with an invalid mutex") }
            rt.registry.remove(m)
            return OfxStatus(kOfxStatOK)
        },
        mutexLock: { h in
            guard let m = rt.registry.lookup(UnsafeRawPointer(h), as: NSRecursiveLock.self) else { return rt.problem("mutexLock with an invalid mutex") }
            m.lock()
            return OfxStatus(kOfxStatOK)
        },
        mutexUnLock: { h in
            guard let m = rt.registry.lookup(UnsafeRawPointer(h), as: NSRecursiveLock.self) else { return rt.problem("mutexUnLock with an invalid mutex") }
            m.unlock()
            return OfxStatus(kOfxStatOK)
        },
        mutexTryLock: { h in
            guard let m = rt.registry.lookup(UnsafeRawPointer(h), as: NSRecursiveLock.self) else { return rt.problem("mutexTryLock with an invalid mutex") }
            return m.try() ? OfxStatus(kOfxStatOK) : OfxStatus(kOfxStatFailed)
        })
}

func makeMessageSuiteV1() -> OfxMessageSuiteV1 {
    var suite = OfxMessageSuiteV1(message: nil)
    COFXHost_fillMessageSuiteV1(&suite)
    return suite
}

func makeMessageSuiteV2() -> OfxMessageSuiteV2 {
    var suite = OfxMessageSuiteV2(
        message: nil, setPersistentMessage: nil,
        clearPersistentMessage: { h in
            guard rt.registry.lookup(UnsafeRawPointer(h), as: EffectObject.self) != nil else {
                return rt.problem("clearPersistentMessage needs an effect instance handle")
            }
            rt.diagnostics.clearPersistent()
            return OfxStatus(kOfxStatOK)
        })
    COFXHost_fillMessageSuiteV2(&suite)
    return suite
}

private func progressUpdate(_ h: UnsafeMutableRawPointer?, _ value: Double) -> OfxStatus {
    rt.progress.update(min(max(value, 0), 1))
    return rt.abortRequested ? OfxStatus(kOfxStatReplyNo) : OfxStatus(kOfxStatOK)
}

func makeProgressSuiteV1() -> OfxProgressSuiteV1 {
    OfxProgressSuiteV1(
        progressStart: { _, label in
            rt.progress.start(label.map { String(cString: $0) } ?? "")
            return OfxStatus(kOfxStatOK)
        },
        progressUpdate: progressUpdate,
        progressEnd: { _ in
            rt.progress.end()
            return OfxStatus(kOfxStatOK)
        })
}

func makeProgressSuiteV2() -> OfxProgressSuiteV2 {
    OfxProgressSuiteV2(
        progressStart: { _, message, _ in
            rt.progress.start(message.map { String(cString: $0) } ?? "")
            return OfxStatus(kOfxStatOK)
        },
        progressUpdate: progressUpdate,
        progressEnd: { _ in
            rt.progress.end()
            return OfxStatus(kOfxStatOK)
        })
}

func makeTimeLineSuite() -> OfxTimeLineSuiteV1 {
    OfxTimeLineSuiteV1(
        getTime: { _, out in
            out?.pointee = rt.currentTime
            return OfxStatus(kOfxStatOK)
        },
        gotoTime: { _, t in
            rt.currentTime = t
            return OfxStatus(kOfxStatOK)
        },
        getTimeBounds: { _, first, last in
            first?.pointee = rt.timeBounds.0
            last?.pointee = rt.timeBounds.1
            return OfxStatus(kOfxStatOK)
        })
}
