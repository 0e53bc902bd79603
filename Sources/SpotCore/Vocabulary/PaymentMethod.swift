/// How a door sale was paid at the node.
public enum PaymentMethod: String, Vocabulary {
    case cash
    /// A card terminal at the door (the node records the sale; the terminal takes the money).
    case cardPresent = "card_present"

    public static let vocabularyName = "payment_method"
}
