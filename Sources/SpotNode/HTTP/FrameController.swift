import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import SpotQR

/// `POST /api/v1/frames?width=W&height=H` (staff only): a camera frame from a kiosk whose
/// browser has no barcode detector — greyscale, one byte per pixel, sent as
/// `application/octet-stream` — searched for QR codes with libzbar. The kiosk then checks a
/// code it found like a typed one (`POST /api/v1/scans`).
struct FrameController: Sendable {
    func addRoutes(to api: RouterGroup<NodeRequestContext>) {
        api.post("frames", use: decode)
    }

    struct FrameResponse: ResponseEncodable {
        let codes: [String]
    }

    @Sendable func decode(_ request: Request, context: NodeRequestContext) async throws -> FrameResponse {
        guard let contentType = request.headers[.contentType]?.lowercased(),
            contentType.split(separator: ";").first?.trimmingCharacters(in: .whitespaces) == "application/octet-stream"
        else {
            throw NodeAPIError(
                .unsupportedMediaType, code: .badRequest,
                message: "Send the frame as application/octet-stream: greyscale, one byte per pixel.")
        }
        let width = try Self.side(request, "width")
        let height = try Self.side(request, "height")
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: width * height)
        } catch is NIOTooManyBytesError {
            throw NodeAPIError(
                .contentTooLarge, code: .payloadTooLarge, message: "A \(width) × \(height) frame has \(width * height) bytes.")
        }
        // Decoding takes milliseconds of CPU: off the concurrency pool, which scans need.
        let pixels = Array(buffer.readableBytesView)
        let decoded = try await NIOThreadPool.singleton.runIfActive {
            Result { () throws(QRDecodingError) -> [String] in try QRDecoder.decode(greyscale: pixels, width: width, height: height) }
        }
        switch decoded {
        case .success(let codes): return FrameResponse(codes: codes)
        case .failure(let error): throw NodeAPIError.validation(error.description)
        }
    }

    private static func side(_ request: Request, _ name: String) throws -> Int {
        guard let text = request.uri.queryParameters.get(name), let value = Int(text), QRDecoder.sides.contains(value) else {
            throw NodeAPIError.validation(
                "\(name) must be \(QRDecoder.sides.lowerBound) to \(QRDecoder.sides.upperBound) pixels")
        }
        return value
    }
}
