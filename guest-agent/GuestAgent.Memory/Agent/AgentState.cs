using GuestAgent.Memory.Policy;
using GuestAgent.Memory.Udev;

namespace GuestAgent.Memory.Agent;

/// <summary>
/// What the reconciler, the DIMM operations and the start-up recovery share: the book of what only the agent knows,
/// the policy and the udev rules found (under <see cref="Lock"/>), and the gate that serializes whole reconciles with
/// the start and end of operations (never held while a DIMM is offlined).
/// </summary>
public sealed class AgentState(OnlinePolicy policy)
{
    /// <summary>Serializes whole reconciles and the start and end of operations.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Guards <see cref="Book"/>, <see cref="Policy"/> and <see cref="Rules"/>.</summary>
    public Lock Lock { get; } = new();

    public OperationBook Book { get; } = new();

    public OnlinePolicy Policy { get; set; } = policy;

    public IReadOnlyList<UdevRule> Rules { get; set; } = [];

    /// <summary>The policy, read under the lock.</summary>
    public OnlinePolicy CurrentPolicy
    {
        get
        {
            lock (Lock)
            {
                return Policy;
            }
        }
    }
}
