using System.Globalization;
using System.Text;

namespace GuestAgent.Host.Hypervisor;

/// <summary>
/// Which VM a monitor belongs to, whatever socket reached it: its UUID (QEMU's <c>-uuid</c>, libvirt's domain UUID)
/// when it has one, else its name (<c>-name</c>), else the QEMU process (pid and start time). The lock and the default
/// state file are named after <see cref="Key"/>, so two controllers on two monitors of one VM exclude each other.
/// </summary>
/// <param name="Key">A file-name-safe key: <c>uuid-…</c>, <c>name-…</c> or <c>pid-…</c>.</param>
/// <param name="Description">For people: <c>UUID 4f…</c>, <c>name web1</c>, <c>QEMU process 1234</c>.</param>
public sealed record VmIdentity(string Key, string Description)
{
    public const string NullUuid = "00000000-0000-0000-0000-000000000000";

    /// <summary>The identity from the first of these the hypervisor has; null when it has none of them.</summary>
    public static VmIdentity? From(string? uuid, string? name, int? processId, string? processStart)
    {
        if (!string.IsNullOrEmpty(uuid) && uuid != NullUuid)
        {
            return new VmIdentity("uuid-" + Safe(uuid.ToLowerInvariant()), "UUID " + uuid);
        }

        if (!string.IsNullOrEmpty(name))
        {
            return new VmIdentity("name-" + Safe(name), "name " + name);
        }

        if (processId is { } pid)
        {
            var key = "pid-" + pid.ToString(CultureInfo.InvariantCulture) + (processStart is null ? "" : "-" + Safe(processStart));
            return new VmIdentity(key, "QEMU process " + pid.ToString(CultureInfo.InvariantCulture));
        }

        return null;
    }

    /// <summary>Letters, digits, '-', '_' and '.' stay; anything else becomes '_'.</summary>
    private static string Safe(string text)
    {
        var safe = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_');
        }

        return safe.Length > 100 ? safe.ToString(0, 100) : safe.ToString();
    }
}
