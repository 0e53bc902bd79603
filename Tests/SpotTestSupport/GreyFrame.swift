import Foundation
import SpotQR

/// A picture as a camera hands it over, greyscale with one byte per pixel: blank, or with a
/// QR code in the middle. Frames feed the node's decoder and, written as a YUV4MPEG2 video,
/// Chromium's fake camera (`--use-file-for-fake-video-capture`).
public struct GreyFrame: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public static func blank(width: Int, height: Int, shade: UInt8 = 235) -> GreyFrame {
        GreyFrame(width: width, height: height, pixels: Array(repeating: shade, count: width * height))
    }

    /// `text` as a QR code of `moduleSize` pixels per module, centred on a light background.
    public static func qr(_ text: String, width: Int, height: Int, moduleSize: Int) throws -> GreyFrame {
        let code = try QRCode(text: text)
        let side = code.size * moduleSize
        precondition(side <= width && side <= height, "a \(side)-pixel code does not fit \(width) × \(height)")
        var frame = blank(width: width, height: height)
        let left = (width - side) / 2, top = (height - side) / 2
        for y in 0..<side {
            for x in 0..<side where code.isDark(x: x / moduleSize, y: y / moduleSize) {
                frame.pixels[(top + y) * width + left + x] = 20
            }
        }
        return frame
    }

    /// The frames as a YUV4MPEG2 (4:2:0) video at `framesPerSecond`: each frame's pixels are
    /// its luma, and the chroma planes are neutral grey.
    public static func y4m(_ frames: [GreyFrame], framesPerSecond: Int) -> Data {
        guard let first = frames.first else { return Data() }
        precondition(first.width % 2 == 0 && first.height % 2 == 0, "4:2:0 needs even sides")
        var video = Data("YUV4MPEG2 W\(first.width) H\(first.height) F\(framesPerSecond):1 Ip A1:1 C420jpeg\n".utf8)
        let chroma = Data(repeating: 128, count: first.width / 2 * first.height / 2 * 2)
        for frame in frames {
            precondition(frame.width == first.width && frame.height == first.height, "one size per video")
            video.append(Data("FRAME\n".utf8))
            video.append(contentsOf: frame.pixels)
            video.append(chroma)
        }
        return video
    }
}
