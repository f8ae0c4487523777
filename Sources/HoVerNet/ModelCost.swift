extension HoVerNetConfiguration {
    /// Forward FLOPs (2 per multiply-add of the convs; pooling, upsampling, BN and
    /// activations not counted, as `Module.summary` counts) for one height × width input.
    /// Computed from the architecture so a model file can record it without running it.
    public func forwardFLOPs(height: Int = 256, width: Int = 256) -> Double {
        func conv(_ pixels: Int, _ kernel: Int, _ input: Int, _ output: Int) -> Double {
            2 * Double(pixels) * Double(kernel * kernel * input) * Double(output)
        }
        var total = 0.0
        for (level, channels) in widths.enumerated() {
            let pixels = (height >> level) * (width >> level)
            let input = level == 0 ? 3 : widths[level - 1]
            total += conv(pixels, 3, input, channels) + Double(encoderConvs - 1) * conv(pixels, 3, channels, channels)
            if level < widths.count - 1 {
                // Decoder of this level: the 1×1 reducer runs at the deeper level's resolution.
                let deeper = (height >> (level + 1)) * (width >> (level + 1))
                total += conv(deeper, 1, widths[level + 1], channels)
                total += conv(pixels, 3, 2 * channels, channels) + Double(decoderConvs - 1) * conv(pixels, 3, channels, channels)
            }
        }
        let pixels = height * width
        for outputs in [2, 2] + (typeClasses > 0 ? [typeClasses] : []) {
            total += conv(pixels, 3, widths[0], headWidth) + conv(pixels, 1, headWidth, outputs)
        }
        return total
    }
}
