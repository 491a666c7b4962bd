import Foundation

/// Writes any checkpoint as a Hugging Face directory (`config.json` + `model.safetensors`) in F32, F16
/// or BF16. Tensors stream through a small buffer, so a file larger than memory can be written.
/// Interleaved-RoPE sources get HF's q/k row permutation, so the written directory computes the same function.
public enum HuggingFaceWriter {
    /// Elements converted per chunk (4 MiB of f32 scratch).
    static let chunkElements = 1 << 20

    public static func write(_ weights: ModelWeights, to directory: URL, dtype: DType = .f32) throws {
        guard let dtypeName = SafetensorsFile.name(of: dtype) else {
            throw ModelFileError(directory, "cannot write \(dtype.rawValue) safetensors (F32, F16 and BF16 are written)")
        }
        let source = weights.config
        var config = source
        config.ropeStyle = .halves
        if source.ropeStyle == .interleaved, source.headDim % 2 != 0 {
            throw ModelFileError(directory, "head_dim \(source.headDim) is odd, so q/k rows cannot be permuted")
        }

        // safetensors' own writer orders tensors by name; the header is padded with spaces to 8 bytes.
        let entries = source.tensors.map { (name: $0.description, tensor: $0) }.sorted { $0.name < $1.name }
        var views: [TensorView] = []
        var header = #"{"__metadata__":{"format":"pt"}"#
        var offset = 0
        let elementSize = dtype == .f32 ? 4 : 2
        for e in entries {
            let view = try weights.tensor(e.tensor)
            let shape = source.shape(of: e.tensor)
            guard view.shape == shape else {
                throw ModelFileError(directory, "source tensor \(e.name) has shape \(view.shape) but its config implies \(shape)")
            }
            let bytes = view.count * elementSize
            header += #","\#(e.name)":{"dtype":"\#(dtypeName)","shape":[\#(shape.map(String.init).joined(separator: ","))],"data_offsets":[\#(offset),\#(offset + bytes)]}"#
            offset += bytes
            views.append(view)
        }
        header += "}"
        while (header.utf8.count % 8) != 0 { header += " " }

        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ModelFileError(directory, "cannot write a model directory here: a file of that name exists")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw ModelFileError(directory, "cannot create the directory")
        }
        try writeAtomically(directory.appendingPathComponent("model.safetensors")) { out in
            var length = UInt64(header.utf8.count).littleEndian
            try withUnsafeBytes(of: &length) { try out.put($0) }
            try Array(header.utf8).withUnsafeBytes { try out.put($0) }
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunkElements)
            let converted = UnsafeMutableRawPointer.allocate(byteCount: chunkElements * 4, alignment: 16)
            defer { scratch.deallocate(); converted.deallocate() }
            for (e, view) in zip(entries, views) {
                let permute: Bool
                switch e.tensor {
                case .wq, .wk: permute = source.ropeStyle == .interleaved
                default: permute = false
                }
                try stream(view, permute: permute, headDim: source.headDim, dtype: dtype,
                           scratch: scratch, converted: converted, into: out)
            }
        }
        try writeAtomically(directory.appendingPathComponent("config.json")) { out in
            try config.huggingFaceConfigJSON(dtype: dtype).withUnsafeBytes { try out.put($0) }
        }
    }

    /// Writes one tensor through the chunk buffers: copied as bytes when it is already in `dtype`,
    /// converted otherwise. With `permute`, output row h·d + j·d/2 + i takes source row h·d + 2i + j
    /// (transformers' convert_llama_weights_to_hf `permute`).
    private static func stream(_ view: TensorView, permute: Bool, headDim: Int, dtype: DType,
                               scratch: UnsafeMutablePointer<Float>, converted: UnsafeMutableRawPointer,
                               into out: OutputFile) throws {
        let size = dtype == .f32 ? 4 : 2
        let raw = view.dtype == dtype
        var pending = 0
        func flush() throws {
            guard pending > 0 else { return }
            try out.put(raw ? UnsafeRawBufferPointer(start: converted, count: pending * size)
                            : convert(scratch, pending, to: dtype, converted))
            pending = 0
        }
        /// Appends source elements start..<start+count to the output.
        func take(_ start: Int, _ count: Int) throws {
            var s = start, left = count
            while left > 0 {
                let n = min(left, chunkElements - pending)
                if raw, let base = view.data.baseAddress {
                    (converted + pending * size).copyMemory(from: base + s * size, byteCount: n * size)
                } else {
                    view.copyFloats(into: scratch + pending, start: s, count: n)
                }
                pending += n; s += n; left -= n
                if pending == chunkElements { try flush() }
            }
        }
        if permute, view.shape.count == 2 {
            let (rows, cols) = (view.shape[0], view.shape[1])
            let half = headDim / 2
            for r in 0..<rows {
                let (h, within) = r.quotientAndRemainder(dividingBy: headDim)
                let (j, i) = within.quotientAndRemainder(dividingBy: half)
                try take((h * headDim + 2 * i + j) * cols, cols)
            }
        } else {
            try take(0, view.count)
        }
        try flush()
    }

    private static func convert(_ src: UnsafeMutablePointer<Float>, _ n: Int, to dtype: DType,
                                _ dst: UnsafeMutableRawPointer) -> UnsafeRawBufferPointer {
        switch dtype {
        case .f32:
            return UnsafeRawBufferPointer(start: src, count: n * 4)
        case .f16:
            let d = dst.assumingMemoryBound(to: UInt16.self)
            for i in 0..<n { d[i] = Float16(src[i]).bitPattern.littleEndian }
            return UnsafeRawBufferPointer(start: dst, count: n * 2)
        case .bf16, .q8_0:
            let d = dst.assumingMemoryBound(to: UInt16.self)
            for i in 0..<n { d[i] = bf16Bits(src[i]).littleEndian }
            return UnsafeRawBufferPointer(start: dst, count: n * 2)
        }
    }

    /// bfloat16 by round-to-nearest-even, NaN as 0x7FC0 (PyTorch's `.to(torch.bfloat16)`).
    @inline(__always)
    public static func bf16Bits(_ x: Float) -> UInt16 {
        let bits = x.bitPattern
        if x.isNaN { return 0x7FC0 }
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// Writes to a temporary name beside `url`, then renames: a failed write leaves no partial file.
    private static func writeAtomically(_ url: URL, _ body: (OutputFile) throws -> Void) throws {
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(UUID().uuidString)")
        let out = try OutputFile(temp, reportAs: url)
        do {
            try body(out)
            try out.finish()
        } catch {
            try? out.finish()
            unlink(temp.path)
            throw error
        }
        guard rename(temp.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp.path)
            throw ModelFileError(url, "cannot write (\(reason))")
        }
    }
}

/// A file descriptor with full-write semantics and errors that name the destination.
private final class OutputFile {
    private var fd: Int32
    private let url: URL

    init(_ path: URL, reportAs url: URL) throws {
        self.url = url
        fd = open(path.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ModelFileError(url, "cannot write (\(String(cString: strerror(errno))))") }
    }

    func put(_ bytes: UnsafeRawBufferPointer) throws {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = write(fd, p, left)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ModelFileError(url, "cannot write (\(String(cString: strerror(errno))))") }
            p += n
            left -= n
        }
    }

    func finish() throws {
        guard fd >= 0 else { return }
        let rc = close(fd)
        fd = -1
        guard rc == 0 else { throw ModelFileError(url, "cannot write (\(String(cString: strerror(errno))))") }
    }
}
