using System.Text.Json.Nodes;

namespace GuestAgent.Host.Qmp;

/// <summary>ACPI _OST source events and status codes as QEMU reports them in <c>ACPI_DEVICE_OST</c> (ACPI 6, table 6-207).</summary>
public static class AcpiOstStatus
{
    /// <summary>Source: the guest handles an eject request (what <c>device_del</c> of a DIMM starts).</summary>
    public const int EjectRequest = 3;

    public const int Success = 0x0;

    /// <summary>Non-specific failure.</summary>
    public const int Failure = 0x1;

    /// <summary>Device in use (the guest could not offline the memory).</summary>
    public const int DeviceBusy = 0x82;

    /// <summary>Eject in progress.</summary>
    public const int InProgress = 0x84;

    public static string Describe(int status) => status switch
    {
        Success => "success",
        Failure => "failure",
        0x2 => "unrecognized notify code",
        0x80 => "eject not supported",
        0x81 => "device in use by a critical subsystem",
        DeviceBusy => "device busy",
        0x83 => "eject dependency is busy",
        InProgress => "eject in progress",
        _ => $"status 0x{status:x}",
    };

    /// <summary>
    /// Whether an <c>ACPI_DEVICE_OST</c> event's <paramref name="info"/> is the guest refusing the eject of the DIMM
    /// <paramref name="id"/> (or in slot <paramref name="slot"/>): its eject request ended in neither success nor "in
    /// progress".
    /// </summary>
    public static bool IsEjectRefusal(JsonObject? info, string? id, string? slot)
    {
        if (info is null || info["source"]?.GetValue<int>() != EjectRequest)
        {
            return false;
        }

        var ours = (id is not null && info["device"]?.GetValue<string>() == id) || (slot is not null && info["slot"]?.GetValue<string>() == slot && info["slot-type"]?.GetValue<string>() == "DIMM");
        var status = info["status"]?.GetValue<int>();
        return ours && status is not null && status != Success && status != InProgress;
    }
}
