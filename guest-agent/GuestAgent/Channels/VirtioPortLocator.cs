using GuestAgent.Memory.Sysfs;

namespace GuestAgent.Channels;

/// <summary>
/// Finds a virtio-serial port by its name: <c>class/virtio-ports/vport*/name</c> under sysfs, device node
/// <c>DEV/vportNpM</c> (udev's <c>/dev/virtio-ports/NAME</c> link is not needed). A name that is not a plain port name
/// (a path, <c>..</c>) is refused.
/// </summary>
public static class VirtioPortLocator
{
    public static string? Find(SysfsRoot sysfs, string devDirectory, string portName)
    {
        if (string.IsNullOrEmpty(portName) || portName.Contains('/') || portName.Contains('\0') || portName is "." or "..")
        {
            throw new ArgumentException($"'{portName}' is not a port name", nameof(portName));
        }

        var ports = Path.Combine(sysfs.Path, "class", "virtio-ports");
        if (!Directory.Exists(ports))
        {
            return null;
        }

        foreach (var port in Directory.EnumerateFileSystemEntries(ports, "vport*").Order(StringComparer.Ordinal))
        {
            string name;
            try
            {
                name = File.ReadAllText(Path.Combine(port, "name")).Trim();
            }
            catch (IOException)
            {
                continue;
            }

            var device = Path.GetFileName(port);
            if (name == portName && !device.Contains(".."))
            {
                return Path.Combine(devDirectory, device);
            }
        }

        return null;
    }
}
