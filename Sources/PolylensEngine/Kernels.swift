import CBLAS
import Dispatch
import Foundation

/// The two products the forward pass is made of, on OpenBLAS. A single row goes through gemv, which
/// streams the matrix once; more rows go through gemm.
enum BLAS {
    /// y[m×n] = alpha · x[m×k] · w[n×k]ᵀ, each with its own row stride: activations times a weight
    /// matrix in its stored `[out, in]` layout, or queries times keys.
    static func timesTransposed(_ x: UnsafePointer<Float>, ldx: Int, _ w: UnsafePointer<Float>, ldw: Int,
                                _ y: UnsafeMutablePointer<Float>, ldy: Int, m: Int, n: Int, k: Int,
                                alpha: Float = 1) {
        if m == 1 {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(n), Int32(k), alpha, w, Int32(ldw), x, 1, 0, y, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), alpha,
                        x, Int32(ldx), w, Int32(ldw), 0, y, Int32(ldy))
        }
    }

    /// y[m×n] = a[m×k] · b[k×n]: attention weights times values.
    static func times(_ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                      _ y: UnsafeMutablePointer<Float>, ldy: Int, m: Int, n: Int, k: Int) {
        if m == 1 {
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), 1, b, Int32(ldb), a, 1, 0, y, 1)
        } else {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                        a, Int32(lda), b, Int32(ldb), 0, y, Int32(ldy))
        }
    }

    static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
}

/// Splits row loops over the engine's threads. It runs only between BLAS calls, never beside one, so
/// OpenBLAS's threads and these never compete for the same cores.
struct RowLoop {
    let threads: Int

    /// Calls `body` on disjoint sub-ranges of `0..<rows`, in parallel when the work is worth a dispatch.
    /// `work` is the rough number of scalar operations in all rows together.
    func callAsFunction(_ rows: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let parts = min(threads, rows)
        if parts <= 1 || work < 32_768 {
            body(0..<rows)
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts) { p in
            body(rows * p / parts ..< rows * (p + 1) / parts)
        }
    }
}

/// A float buffer owned by the engine, reused from call to call.
final class FloatBuffer {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var count: Int

    init(_ count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    /// Makes room for `needed` floats, keeping the first `keep` of them.
    func reserve(_ needed: Int, keep: Int = 0) {
        guard needed > count else { return }
        let p = UnsafeMutablePointer<Float>.allocate(capacity: needed)
        p.initialize(repeating: 0, count: needed)
        if keep > 0 { p.update(from: pointer, count: min(keep, count)) }
        pointer.deallocate()
        pointer = p
        count = needed
    }
}
