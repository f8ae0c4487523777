import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Debian's OpenBLAS does not recognise recent CPUs and falls back to its slowest kernels
/// unless OPENBLAS_CORETYPE is in the environment when the library loads (a load-time
/// constructor reads it; setting it from `main` is too late). So the process works out the
/// best kernel set for its CPU and, when the environment says otherwise, sets it and
/// re-executes itself once, before doing anything else.
///
/// Some environments preset a conservative OPENBLAS_CORETYPE (e.g. Haswell on an
/// AVX-512 machine, 1.5× slower for our convolutions); the CPU's own flags decide here.
/// ANNOTATOR_OPENBLAS_CORETYPE forces a value; ANNOTATOR_NO_REEXEC=1 disables all this.
enum BLASLauncher {
    static func reexecWithCoreTypeIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["ANNOTATOR_NO_REEXEC"] == nil,
              let wanted = environment["ANNOTATOR_OPENBLAS_CORETYPE"] ?? coreTypeForThisCPU(),
              environment["OPENBLAS_CORETYPE"] != wanted
        else { return }
        setenv("OPENBLAS_CORETYPE", wanted, 1)
        // Guards against a loop should exec hand back a process without the variable.
        setenv("ANNOTATOR_NO_REEXEC", "1", 1)
        let arguments = CommandLine.arguments
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", &argv)
        // exec failed: carry on with the kernels OpenBLAS picked rather than not at all.
        unsetenv("ANNOTATOR_NO_REEXEC")
    }

    /// OpenBLAS's name for the best kernel set this CPU supports, from /proc/cpuinfo.
    static func coreTypeForThisCPU(cpuinfo: String? = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) -> String? {
        guard let cpuinfo,
              let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) {
            return "SkylakeX"
        }
        if ["avx2", "fma"].allSatisfy(flags.contains) { return "Haswell" }
        return nil
    }
}
