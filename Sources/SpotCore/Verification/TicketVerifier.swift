import Foundation

/// The offline verdict function: pure and deterministic. Given the payload text,
/// what the gate trusts and admits, the revocations and scans known, the scan
/// direction and the current time, it returns one verdict, checking in the order
/// `SyncProtocol/tickets.md` §5 fixes.
public struct TicketVerifier: Sendable {
    public let trust: TrustStore
    public let gate: GatePolicy

    public init(trust: TrustStore, gate: GatePolicy) {
        self.trust = trust
        self.gate = gate
    }

    public func verify(
        _ payload: String,
        direction: ScanDirection = .entry,
        at now: Date,
        revocations: some RevocationLookup,
        scans: some ScanHistory
    ) -> VerificationResult {
        verify(prepare(payload), direction: direction, at: now, revocations: revocations, scans: scans)
    }

    /// Decodes `payload` and checks its signature against this verifier's trust store: the
    /// costly, state-free part of a verdict (one Ed25519 verification), which a caller may run
    /// concurrently before taking the lock that serializes the rest.
    public func prepare(_ payload: String) -> PreparedTicket {
        prepare(Result { () throws(TicketDecodingError) in try SignedTicket(text: payload) })
    }

    /// ``prepare(_:)-(String)`` for a payload the caller has already decoded.
    public func prepare(_ ticket: SignedTicket) -> PreparedTicket { prepare(.success(ticket)) }

    private func prepare(_ decoded: Result<SignedTicket, TicketDecodingError>) -> PreparedTicket {
        var verifiedKey: Data?
        if case .success(let ticket) = decoded, let signer = trust.signer(for: ticket.keyID),
            ticket.isSigned(by: signer.publicKey)
        {
            verifiedKey = signer.publicKey.rawRepresentation
        }
        return PreparedTicket(decoded: decoded, verifiedKey: verifiedKey)
    }

    /// The verdict for a prepared payload. A signature checked against the same public key is
    /// not checked again; one prepared under another trust store is.
    public func verify(
        _ prepared: PreparedTicket,
        direction: ScanDirection = .entry,
        at now: Date,
        revocations: some RevocationLookup,
        scans: some ScanHistory
    ) -> VerificationResult {
        func refuse(_ verdict: Verdict, _ ticket: SignedTicket? = nil) -> VerificationResult {
            VerificationResult(verdict: verdict, direction: direction, ticket: ticket)
        }

        // 1–3. Text, version and structure.
        let ticket: SignedTicket
        switch prepared.decoded {
        case .success(let decoded): ticket = decoded
        case .failure(.malformed(let reason)): return refuse(.malformed(reason))
        case .failure(.unsupportedVersion(let version)): return refuse(.unsupportedVersion(version))
        }

        // 4–5. Key and signature.
        guard let signer = trust.signer(for: ticket.keyID) else { return refuse(.unknownKey(ticket.keyID)) }
        guard prepared.verifiedKey == signer.publicKey.rawRepresentation || ticket.isSigned(by: signer.publicKey)
        else { return refuse(.invalidSignature) }
        let claims = ticket.claims

        // 6. The signer is still trusted for this ticket.
        switch signer {
        case .issuer(let key):
            guard key.verifies(at: now) else { return refuse(.keyRetired(key.keyID), ticket) }
        case .device(let certificate, _, let issuer):
            guard issuer.verifies(at: now) else { return refuse(.keyRetired(issuer.keyID), ticket) }
            guard now < certificate.claims.notAfter else {
                return refuse(.certificateExpired(notAfter: certificate.claims.notAfter), ticket)
            }
            guard certificate.covers(claims.eventID), gate.venueID.map({ $0 == certificate.claims.venueID }) ?? true
            else { return refuse(.deviceNotAuthorized, ticket) }
        }

        // 7. This gate admits the event.
        guard let admission = gate.admission(for: claims.eventID) else {
            return refuse(.wrongEvent(claims.eventID), ticket)
        }

        let presence = scans.presence(of: claims.ticketID)
        if direction == .exit {
            // Exits skip status and time checks: a holder inside may always leave.
            guard let presence, presence.isInside else { return refuse(.notInside, ticket) }
            return VerificationResult(verdict: .ok, direction: direction, ticket: ticket)
        }

        // 8–9. Event status, policy and product.
        guard !admission.isCancelled else { return refuse(.eventCancelled, ticket) }
        guard admission.reentryPolicy != .unrecognized else { return refuse(.unsupportedPolicy, ticket) }
        if let allowed = admission.allowedTicketTypes, !allowed.contains(claims.ticketTypeID) {
            return refuse(.productNotAllowed(ticketTypeID: claims.ticketTypeID), ticket)
        }

        // 10. Revocation and re-issue.
        if let revocation = revocations.revocation(of: claims.ticketID), claims.issueVersion <= revocation.issueVersion {
            return refuse(
                revocation.reason == .reissued
                    ? .superseded(currentAtLeast: revocation.issueVersion + 1) : .revoked(revocation.reason),
                ticket)
        }

        // 11. Validity window.
        if let from = claims.validFrom, now < from { return refuse(.notYetValid(validFrom: from), ticket) }
        if let until = claims.validUntil, now >= until { return refuse(.expired(validUntil: until), ticket) }

        // 12. Admissions so far.
        if let presence, let entry = presence.lastEntry,
            presence.isInside || admission.reentryPolicy == .singleEntry
        {
            return refuse(.alreadyAdmitted(at: entry.at.date, gate: entry.gate, nodeID: entry.nodeID), ticket)
        }
        return VerificationResult(verdict: .ok, direction: direction, ticket: ticket)
    }
}

/// A payload decoded and its signature checked (``TicketVerifier/prepare(_:)``), awaiting
/// the state-dependent rest of the verdict.
public struct PreparedTicket: Sendable {
    let decoded: Result<SignedTicket, TicketDecodingError>
    /// The raw public key the signature verified against, if it did.
    let verifiedKey: Data?

    /// The decoded ticket, if the payload is one.
    public var ticket: SignedTicket? { try? decoded.get() }
}
