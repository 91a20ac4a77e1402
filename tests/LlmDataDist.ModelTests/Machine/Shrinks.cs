using System.Collections.Immutable;
using LlmDataDist.ModelTests.Model;

namespace LlmDataDist.ModelTests.Machine;

/// <summary>
/// Simpler versions of one command's arguments, tried after FsCheck has shortened the operation list: default layer
/// selection, whole rows, row and block 0, one cluster, one block, the plain options.
/// </summary>
public static class Shrinks
{
    public static IEnumerable<Command> Of(Command command)
    {
        IEnumerable<Command> candidates = command switch
        {
            InitializeCmd c when c.Variant != InitVariant.Plain => [c with { Variant = InitVariant.Plain }],
            AllocateCmd c when c.Desc != DescChoice.A => [c with { Desc = DescChoice.A }],
            LinkCmd c => [.. c.Targets.Length > 1 ? c.Targets.Select(t => c with { Targets = [t] }) : [], c with { Shape = LinkShape.Normal }],
            UnlinkCmd c => [.. c.Targets.Length > 1 ? c.Targets.Select(t => c with { Targets = [t] }) : [], c with { Shape = LinkShape.Normal }, c with { Force = false }],
            PullCacheCmd c => [c with { Ext = Ext.Default }, c with { Size = -1 }, c with { SrcRow = 0 }, c with { DstRow = 0 }],
            PullBlocksCmd c => [c with { Ext = Ext.Default }, c with { SrcBlocks = [.. c.SrcBlocks.Take(1)], DstBlocks = [.. c.DstBlocks.Take(1)] }, c with { SrcBlocks = [.. c.SrcBlocks.Select(_ => 0UL)] }, c with { DstBlocks = [.. c.DstBlocks.Select(_ => 0UL)] }],
            PushCacheCmd c => [c with { Ext = Ext.Default }, c with { Src = new PushSource(c.Src.Id, null, false) }, c with { SrcRow = 0 }, c with { DstRow = 0 }],
            PushBlocksCmd c => [c with { Ext = Ext.Default }, c with { Src = new PushSource(c.Src.Id, null, false) }, c with { SrcBlocks = [.. c.SrcBlocks.Take(1)], DstBlocks = [.. c.DstBlocks.Take(1)] }, c with { SrcBlocks = [.. c.SrcBlocks.Select(_ => 0UL)] }, c with { DstBlocks = [.. c.DstBlocks.Select(_ => 0UL)] }],
            CopyCacheCmd c => [c with { Offset = 0 }, c with { Size = -1 }, c with { SrcRow = 0 }, c with { DstRow = 0 }, c with { SrcAsHost = false, BadDstDesc = false }],
            CopyBlocksCmd c => [c with { DstLists = [.. c.DstLists.Take(1)] }, c with { SrcBlocks = [.. c.SrcBlocks.Take(1)], DstLists = [.. c.DstLists.Select(l => l.Take(1).ToImmutableArray())] }],
            _ => [],
        };

        // Smaller cache ids: once a command names cache 1, the allocations that only produced higher ids can go.
        IEnumerable<Command> ids = command switch
        {
            DeallocateCmd c when c.Id > 1 => [c with { Id = 1 }],
            PullCacheCmd c => [.. c.SrcId > 1 ? [c with { SrcId = 1 }] : Array.Empty<Command>(), .. c.DstId > 1 ? [c with { DstId = 1 }] : Array.Empty<Command>()],
            PullBlocksCmd c => [.. c.SrcId > 1 ? [c with { SrcId = 1 }] : Array.Empty<Command>(), .. c.DstId > 1 ? [c with { DstId = 1 }] : Array.Empty<Command>()],
            PushCacheCmd c => [.. c.Src.Id > 1 ? [c with { Src = c.Src with { Id = 1 } }] : Array.Empty<Command>(), .. c.DstId > 1 ? [c with { DstId = 1 }] : Array.Empty<Command>()],
            PushBlocksCmd c => [.. c.Src.Id > 1 ? [c with { Src = c.Src with { Id = 1 } }] : Array.Empty<Command>(), .. c.DstId > 1 ? [c with { DstId = 1 }] : Array.Empty<Command>()],
            CopyCacheCmd c => [.. c.SrcId > 1 ? [c with { SrcId = 1 }] : Array.Empty<Command>(), .. c.DstId > 1 ? [c with { DstId = 1 }] : Array.Empty<Command>()],
            CopyBlocksCmd c => [.. c.SrcId > 1 ? [c with { SrcId = 1 }] : Array.Empty<Command>(), .. c.DstId > 1 ? [c with { DstId = 1 }] : Array.Empty<Command>()],
            _ => [],
        };
        candidates = ids.Concat(candidates);

        // Only strictly simpler: a candidate equal to the command (by its printed form) would shrink forever.
        return candidates.Where(c => c.ToString() != command.ToString());
    }
}
