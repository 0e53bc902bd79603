import SpotCore

extension Migrations {
    /// Waiting rooms for on-sales (see `WaitingRoomRepository`): an event's sale behind a queue
    /// that opens at a set time. Buyers get a place in line (one per account and one per device),
    /// numbered from the room's `arrivals` counter — taken under the room's row lock, so in
    /// commit order — and the admitter lets the first in line in at the organizer's rate;
    /// `advanced_at` and `carry` keep that rate across rounds and server replicas.
    static let waitingRooms = Migration(
        version: 13, name: "waiting rooms",
        statements: [
            """
            CREATE TABLE waiting_rooms (
                event_id uuid PRIMARY KEY REFERENCES events (id) ON DELETE CASCADE,
                opens_at timestamptz NOT NULL,
                admit_per_minute integer NOT NULL CHECK (admit_per_minute BETWEEN \(FieldLimits.admitPerMinute.lowerBound) AND \(FieldLimits.admitPerMinute.upperBound)),
                pass_minutes integer NOT NULL CHECK (pass_minutes BETWEEN \(FieldLimits.passMinutes.lowerBound) AND \(FieldLimits.passMinutes.upperBound)),
                advanced_at timestamptz,
                carry double precision NOT NULL DEFAULT 0 CHECK (carry >= 0),
                arrivals bigint NOT NULL DEFAULT 0,
                created_at timestamptz NOT NULL,
                updated_at timestamptz NOT NULL
            )
            """,
            """
            CREATE TABLE waiting_room_entries (
                event_id uuid NOT NULL REFERENCES waiting_rooms (event_id) ON DELETE CASCADE,
                arrival bigint NOT NULL,
                user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                device text NOT NULL,
                joined_at timestamptz NOT NULL,
                admitted_at timestamptz,
                PRIMARY KEY (event_id, arrival),
                UNIQUE (event_id, user_id),
                UNIQUE (event_id, device)
            )
            """,
            "CREATE INDEX waiting_room_entries_waiting ON waiting_room_entries (event_id, arrival) WHERE admitted_at IS NULL",
        ])
}
