/// What a door's kiosk does when its node stops answering and a peer door's node is in touch:
/// offer staff the switch, or make it. The organizer sets it per venue; a node's operator may
/// override it (`spot node run --kiosk-failover`).
public enum KioskFailover: String, Vocabulary {
    case offer
    case `switch`

    public static let vocabularyName = "kiosk failover"
}
