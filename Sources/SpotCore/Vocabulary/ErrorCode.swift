/// Every `error.code` an HVFLVSPOT API answers with — the central server's API and sync routes,
/// and the node's local API — in one documented list. Errors always look like
/// `{"error":{"code":"…","message":"…","fields":{…}?}}`; clients branch on the code, never on
/// the message. (`SyncProtocol/sync-v1.md` §3 and §12 name the sync routes' codes.)
public enum ErrorCode: String, Vocabulary {
    // MARK: Any request
    /// The body is not JSON (or is empty where JSON is required).
    case invalidJSON = "invalid_json"
    /// The request is malformed in another way (a header, a query string).
    case badRequest = "bad_request"
    /// A field is missing, of the wrong type, out of range or not UTF-8 text (`fields` names it).
    case validationFailed = "validation_failed"
    /// The body is larger than the route accepts.
    case payloadTooLarge = "payload_too_large"
    /// No route at this path, or no such record (or not one the caller may see).
    case notFound = "not_found"
    case methodNotAllowed = "method_not_allowed"
    /// Signed in, but not allowed to do this.
    case forbidden
    /// Too many attempts: wait `Retry-After` seconds.
    case rateLimited = "rate_limited"
    /// The database is not answering: retry later.
    case databaseUnavailable = "database_unavailable"
    case internalError = "internal_error"
    /// A generic refusal of the current state (prefer a specific code).
    case conflict

    // MARK: Authentication
    /// No credential, or not a usable one.
    case unauthorized
    case invalidCredentials = "invalid_credentials"
    case tokenInvalid = "token_invalid"
    case tokenExpired = "token_expired"
    case tokenRevoked = "token_revoked"
    /// A refresh token was used twice: the session is revoked.
    case refreshTokenReused = "refresh_token_reused"
    case emailTaken = "email_taken"

    // MARK: Organizers, venues, events
    case organizerNotVerified = "organizer_not_verified"
    case organizerNotEmpty = "organizer_not_empty"
    case venueInUse = "venue_in_use"
    case venueHasNodes = "venue_has_nodes"
    case eventNotDraft = "event_not_draft"
    case eventStarted = "event_started"
    case eventCancelled = "event_cancelled"
    case eventNotOnSale = "event_not_on_sale"
    case noTicketTypes = "no_ticket_types"

    // MARK: Bookings and payments
    case soldOut = "sold_out"
    case salesNotStarted = "sales_not_started"
    case salesEnded = "sales_ended"
    case bookingNotHeld = "booking_not_held"
    case bookingExpired = "booking_expired"
    case bookingNotPaid = "booking_not_paid"
    case nothingToRefund = "nothing_to_refund"
    case paymentDeclined = "payment_declined"
    case paymentProcessorError = "payment_processor_error"
    case paymentTimeout = "payment_timeout"
    case refundFailed = "refund_failed"
    /// Checkout and refunds need an `Idempotency-Key` header.
    case idempotencyKeyRequired = "idempotency_key_required"
    /// The key was used for a different request (another booking, amount, card or tickets): nothing was charged.
    case idempotencyKeyReused = "idempotency_key_reused"
    /// A web form's key was not issued for this booking or refund (reload the page).
    case formExpired = "form_expired"
    case ticketRevoked = "ticket_revoked"

    // MARK: Waiting rooms
    /// The event's sale is behind a waiting room: holds need the pass the room gives a buyer it
    /// lets in (`Waiting-Room-Pass`), for this event and account, before it expires.
    case waitingRoomPassRequired = "waiting_room_pass_required"
    /// The waiting room opens later (`fields.opens_at`): come back then.
    case waitingRoomNotOpen = "waiting_room_not_open"
    /// This device already holds a place in the line, for another account.
    case waitingRoomDeviceTaken = "waiting_room_device_taken"

    // MARK: Webhooks
    /// The organizer has as many webhook endpoints as there may be: delete one first.
    case webhookLimitReached = "webhook_limit_reached"

    // MARK: Venue nodes, seen by organizers
    case allotmentShrinksByRelease = "allotment_shrinks_by_release"
    case allotmentBelowSold = "allotment_below_sold"
    case insufficientInventory = "insufficient_inventory"

    // MARK: Sync routes (`SyncProtocol/sync-v1.md` §3)
    /// `protocol_version` is not one the server serves.
    case unsupportedProtocolVersion = "unsupported_protocol_version"
    /// The organizer revoked the node.
    case nodeRevoked = "node_revoked"
    /// A cursor this server did not hand out: bootstrap.
    case cursorInvalid = "cursor_invalid"
    /// The feed was pruned past the cursor: bootstrap.
    case cursorExpired = "cursor_expired"
    case enrollmentCodeInvalid = "enrollment_code_invalid"
    case enrollmentCodeUsed = "enrollment_code_used"
    case enrollmentCodeExpired = "enrollment_code_expired"
    /// The device key is enrolled already, by this or another node.
    case deviceKeyEnrolled = "device_key_enrolled"
    /// The device key is one of the key ring's issuer keys: refused, it would pass for the organizer's.
    case deviceKeyReserved = "device_key_reserved"

    // MARK: A pushed mutation, `rejected` (`SyncProtocol/sync-v1.md` §6.2)
    /// The fact's event is not one of the node's venue.
    case wrongVenue = "wrong_venue"
    /// The fact names another node.
    case wrongNode = "wrong_node"
    case invalidScan = "invalid_scan"
    case invalidSale = "invalid_sale"
    /// A door-sold ticket not signed by this node's device key for the sale's event and type.
    case invalidTicket = "invalid_ticket"
    case invalidRelease = "invalid_release"
    /// A release of more seats than the node holds unsold.
    case releaseExceedsUnsold = "release_exceeds_unsold"
    /// Protocol 2: the item's `mutation_id` could be read, the rest not (an unknown kind, a
    /// field of the wrong type); `fields` names what. A v1 server refuses such a push whole.
    case unreadableMutation = "unreadable_mutation"
    /// A relayed fact (sync-v2.md §6.4) whose signature does not verify with its origin's device key.
    case invalidFactSignature = "invalid_fact_signature"

    // MARK: The node's local API
    case signInRequired = "sign_in_required"
    case wrongPIN = "wrong_pin"
    case noPINSet = "no_pin_set"
    /// Too many wrong PINs, or another sign-in is being checked: wait `Retry-After` seconds.
    case tooManyAttempts = "too_many_attempts"
    case serverUnreachable = "server_unreachable"
    case unknownTicketType = "unknown_ticket_type"
    case notCertified = "not_certified"
    case allotmentExhausted = "allotment_exhausted"

    public static let vocabularyName = "error code"

    /// The codes a refused sync request may carry (`SyncProtocol/sync-v1.md` §12).
    public static let syncRequests: [ErrorCode] = [
        .unsupportedProtocolVersion, .validationFailed, .invalidJSON, .payloadTooLarge, .unauthorized, .tokenInvalid,
        .tokenExpired, .nodeRevoked, .forbidden, .notFound, .cursorInvalid, .cursorExpired, .enrollmentCodeInvalid,
        .enrollmentCodeUsed, .enrollmentCodeExpired, .deviceKeyEnrolled, .deviceKeyReserved, .insufficientInventory,
        .databaseUnavailable, .internalError,
    ]

    /// The codes a `rejected` push result may carry.
    public static let pushRejections: [ErrorCode] = [
        .wrongVenue, .wrongNode, .invalidScan, .invalidSale, .invalidTicket, .invalidRelease, .releaseExceedsUnsold,
        .unreadableMutation, .invalidFactSignature,
    ]
}
