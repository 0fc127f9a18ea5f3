import { describeSyncStoreContract } from "./sync-store-contract";
import { MemorySyncStore } from "./memory-store";

describeSyncStoreContract("memory", () => new MemorySyncStore());
