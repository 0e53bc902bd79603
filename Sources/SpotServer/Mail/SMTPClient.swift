import Foundation
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL

/// Delivers one message to the configured relay over a connection of its own, driving
/// ``SMTPSession`` with the server's replies: TCP (or TLS from the start for smtps), the
/// server's lines gathered into replies (``SMTPReplyReader``), TLS added in front of the
/// pipeline when STARTTLS is agreed, the message dot-stuffed. A conversation that takes longer
/// than ``timeout`` is cut (a transient failure, tried again later).
struct SMTPClient: Sendable {
    let configuration: SMTPConfiguration
    let tls: NIOSSLContext

    static let timeout: Duration = .seconds(60)
    static let connectTimeout: TimeAmount = .seconds(10)

    init(configuration: SMTPConfiguration) throws {
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        if let file = configuration.trustRootsFile { tlsConfiguration.trustRoots = .file(file) }
        self.configuration = configuration
        tls = try NIOSSLContext(configuration: tlsConfiguration)
    }

    /// Sends `message` from the configured sender to `recipient`; the server's acceptance.
    func send(_ message: ByteBuffer, to recipient: String) async throws -> SMTPReply {
        let configuration = configuration
        let tls = tls
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(Self.connectTimeout)
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if configuration.security == .implicitTLS {
                            try channel.pipeline.syncOperations.addHandler(
                                try NIOSSLClientHandler(context: tls, serverHostname: Self.serverName(configuration.host)))
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(LineBasedFrameDecoder(), maximumBufferSize: SMTPReplyReader.maximumLineLength * 4))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPError(.transient, "cannot connect to the SMTP server \(configuration.host):\(configuration.port): \(error)")
        }
        return try await withThrowingTaskGroup(of: SMTPReply.self) { group in
            group.addTask {
                try await Self.converse(over: channel, message: message, recipient: recipient, configuration: configuration, tls: tls)
            }
            group.addTask {
                try await Task.sleep(for: Self.timeout)
                throw SMTPError(.transient, "the SMTP server did not finish within \(Self.timeout)")
            }
            defer { group.cancelAll() }
            guard let accepted = try await group.next() else { throw CancellationError() }
            return accepted
        }
    }

    private static func converse(
        over channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, message: ByteBuffer, recipient: String,
        configuration: SMTPConfiguration, tls: NIOSSLContext
    ) async throws -> SMTPReply {
        try await channel.executeThenClose { inbound, outbound in
            var session = SMTPSession(
                clientName: configuration.clientName, sender: configuration.from.address, recipient: recipient,
                credentials: configuration.credentials, encrypted: configuration.security == .implicitTLS,
                mayAuthenticateInClear: configuration.isLoopback)
            var reader = SMTPReplyReader()
            // Between STARTTLS and the first reply over TLS, any failure is the handshake's: the
            // channel may report itself closed before the handshake's own error arrives.
            var handshaking = false
            do {
                for try await line in inbound {
                    handshaking = false
                    guard let reply = try reader.read(String(buffer: line)) else { continue }
                    var action = try session.receive(reply)
                    if action == .startTLS {
                        try await channel.channel.pipeline.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: serverName(configuration.host)), position: .first)
                        action = session.tlsStarted()
                        handshaking = true
                    }
                    switch action {
                    case .send(let command): try await outbound.write(ByteBuffer(string: command + "\r\n"))
                    case .sendMessage: try await outbound.write(dotStuffed(message))
                    case .close(let accepted): return accepted
                    case .startTLS: throw SMTPError(.transient, "STARTTLS was asked twice")
                    }
                }
            } catch let error where handshaking {
                throw SMTPError(
                    .transient,
                    "the TLS handshake with the SMTP server failed — is its certificate trusted (--smtp-ca-file)? (\(error))")
            }
            if handshaking {
                throw SMTPError(.transient, "the TLS handshake with the SMTP server failed: it closed the connection")
            }
            throw SMTPError(.transient, "the SMTP server closed the connection mid-conversation")
        }
    }

    /// The name TLS checks the certificate against (nil for an IP address, which has no SNI).
    private static func serverName(_ host: String) -> String? {
        host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" || $0 == "[" || $0 == "]" } ? nil : host
    }

    /// The message as DATA carries it (RFC 5321 §4.5.2): a line that starts with a dot gets
    /// another; then CRLF if missing, and the line with a single dot.
    static func dotStuffed(_ message: ByteBuffer) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(message.readableBytes + 64)
        var atLineStart = true
        for byte in message.readableBytesView {
            if atLineStart, byte == UInt8(ascii: ".") { out.writeInteger(UInt8(ascii: ".")) }
            out.writeInteger(byte)
            atLineStart = byte == UInt8(ascii: "\n")
        }
        if !atLineStart { out.writeString("\r\n") }
        out.writeString(".\r\n")
        return out
    }
}
