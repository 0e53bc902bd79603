/// Every migration, in order. Append new ones; never edit one that has landed.
public enum Migrations {
    public static let all: [Migration] = [
        initialSchema,
        searchWords,
        commerce,
        venueNodes,
        syncFeedRetention,
        webSessions,
        eventPriceCurrency,
        mergeWithoutRowChecks,
        hardening,
        failedAttempts,
        liveSyncSignals,
        inventoryStripes,
        waitingRooms,
        checkInFactsSignals,
        exportOrder,
        notificationBookings,
        webhooks,
        nodeLANAddresses,
        checkInScopeSignals,
        nodeCredentialSignals,
        webhookEnqueuePlanned,
        onlineCheckInRecording,
        sessionSignals,
    ]
}
