extension Migrations {
    /// A booking confirmation remembers its booking, so an email can carry the booking's tickets
    /// as QR codes when it is sent (the tickets as they are then: a refunded one is left out).
    static let notificationBookings = Migration(
        version: 16, name: "notification bookings",
        statements: [
            "ALTER TABLE notifications ADD COLUMN booking_id uuid REFERENCES bookings (id)",
        ])
}
