using Tmds.DBus.Protocol;

namespace GuestAgent.DBus;

/// <summary>Writes the object's properties as D-Bus values: one writer for <c>Get</c>, <c>GetAll</c> and <c>PropertiesChanged</c>.</summary>
public static class BusProperties
{
    /// <summary>An <c>a{sv}</c> of the named properties.</summary>
    public static void WriteDictionary(ref MessageWriter writer, IEnumerable<string> names, BusState state)
    {
        var dictionary = writer.WriteDictionaryStart();
        foreach (var name in names)
        {
            writer.WriteDictionaryEntryStart();
            writer.WriteString(name);
            WriteVariant(ref writer, name, state);
        }

        writer.WriteDictionaryEnd(dictionary);
    }

    /// <summary>One property as a variant (its signature, then its value).</summary>
    public static void WriteVariant(ref MessageWriter writer, string name, BusState state)
    {
        switch (name)
        {
            case "BlockSize":
                writer.WriteVariantUInt64((ulong)Math.Max(0, state.Model.BlockSize));
                break;
            case "Policy":
                writer.WriteVariantString(state.Model.Policy);
                break;
            case "HostConnected":
                writer.WriteVariantBool(state.HostConnected);
                break;
            case "VirtioMem":
                writer.WriteSignature("a" + MemoryBusInterface.VirtioMemSignature);
                var devices = writer.WriteArrayStart(DBusType.Struct);
                foreach (var device in state.Model.Dimms.Where(d => d.Kind == Protocol.Model.DimmKinds.VirtioMem))
                {
                    writer.WriteStructureStart();
                    writer.WriteString(device.Id);
                    writer.WriteString(device.VirtioDevice ?? "");
                    writer.WriteUInt64((ulong)device.Start);
                    writer.WriteUInt64((ulong)device.Size);
                    writer.WriteUInt64((ulong)(device.Plugged ?? 0));
                    writer.WriteUInt64((ulong)(device.MovableBytes ?? 0));
                    writer.WriteUInt64((ulong)(device.Unpluggable ?? 0));
                    writer.WriteString(device.Readiness);
                    writer.WriteString(device.Reason);
                }

                writer.WriteArrayEnd(devices);
                break;
            default:
                writer.WriteSignature("a" + MemoryBusInterface.DimmSignature);
                var array = writer.WriteArrayStart(DBusType.Struct);
                foreach (var dimm in state.Model.Dimms)
                {
                    writer.WriteStructureStart();
                    writer.WriteString(dimm.Id);
                    writer.WriteInt32(dimm.Slot ?? -1);
                    writer.WriteString(dimm.Kind);
                    writer.WriteUInt64((ulong)dimm.Start);
                    writer.WriteUInt64((ulong)dimm.Size);
                    writer.WriteInt32(dimm.Node ?? -1);
                    writer.WriteArray(dimm.Zones);
                    writer.WriteString(dimm.State);
                    writer.WriteString(dimm.Readiness);
                    writer.WriteString(dimm.Reason);
                }

                writer.WriteArrayEnd(array);
                break;
        }
    }
}
