extension Migrations {
    /// Whose events each user checks tickets in for, as one relation the check-in statement
    /// reads with the ticket: an organizer their own organizer's, door staff their employers'.
    /// (Admins check in for every organizer and need no row.)
    static let checkInScopes = Migration(
        version: 13, name: "check-in scopes",
        statements: [
            """
            CREATE VIEW check_in_scopes AS
                SELECT o.user_id, o.id AS organizer_id FROM organizers o JOIN users u ON u.id = o.user_id AND u.role = 'organizer'
                UNION ALL
                SELECT a.user_id, a.organizer_id FROM staff_assignments a JOIN users u ON u.id = a.user_id AND u.role = 'staff'
            """,
        ])
}
