#include "energy/PowerMeter.h"

#include "energy/NvmlPowerSource.h"
#include "energy/RaplPowerSource.h"

namespace gw {

PowerMeter::PowerMeter(std::vector<std::unique_ptr<PowerSource>> candidates, std::vector<PowerSourceStatus> unavailable)
    : sources_(std::move(candidates)), unavailable_(std::move(unavailable))
{
    for (int i = 0; i < int(sources_.size()); ++i) {
        const PowerCoverage c = sources_[std::size_t(i)]->coverage();
        if (c.cpu && cpu_ < 0)
            cpu_ = i;
        if (c.gpu && gpu_ < 0)
            gpu_ = i;
        if (c.ram && ram_ < 0)
            ram_ = i;
    }
}

std::unique_ptr<PowerMeter> PowerMeter::forThisMachine(const Options &options)
{
    std::vector<std::unique_ptr<PowerSource>> candidates;
    std::vector<PowerSourceStatus> unavailable;
    const auto refuse = [&unavailable](const QString &name, const QString &why) {
        unavailable.push_back({name, false, QStringLiteral("measured"), QString(), why});
    };
    if (options.useRapl) {
        QString whyNot;
        if (auto rapl = RaplPowerSource::open(options.powercapRoot, &whyNot))
            candidates.push_back(std::move(rapl));
        else
            refuse(QStringLiteral("RAPL"), whyNot + QStringLiteral(" Using the CPU-time estimate for the CPU."));
    } else {
        refuse(QStringLiteral("RAPL"), QStringLiteral("RAPL: turned off in the settings."));
    }
    int gpuCount = 0;
    QString gpuModel;
    if (options.useNvml) {
        QString whyNot;
        if (auto nvml = NvmlPowerSource::open(options.nvmlLibrary, &whyNot)) {
            gpuCount = int(nvml->gpus().size());
            gpuModel = gpuCount > 0 ? nvml->gpus().front().name : QString();
            candidates.push_back(std::move(nvml));
        } else
            refuse(QStringLiteral("NVML"), QStringLiteral("NVML: ") + whyNot);
    } else {
        refuse(QStringLiteral("NVML"), QStringLiteral("NVML: turned off in the settings."));
    }
    candidates.push_back(CpuTimePowerModel::forThisMachine());
    auto meter = std::make_unique<PowerMeter>(std::move(candidates), std::move(unavailable));
    meter->gpuCount_ = gpuCount;
    meter->gpuModel_ = gpuModel;
    return meter;
}

QString PowerMeter::provenanceOf(int index) const
{
    return index < 0 ? QString() : sources_[std::size_t(index)]->provenance();
}

QString PowerMeter::componentProvenance(PowerComponent component) const
{
    return provenanceOf(component == PowerComponent::Cpu ? cpu_ : component == PowerComponent::Gpu ? gpu_ : ram_);
}

QString PowerMeter::provenance() const
{
    for (int index : {cpu_, gpu_, ram_}) {
        if (index >= 0 && sources_[std::size_t(index)]->provenance() != QStringLiteral("measured"))
            return QStringLiteral("estimated");
    }
    return QStringLiteral("measured");
}

PowerCoverage PowerMeter::coverage() const
{
    return {cpu_ >= 0, gpu_ >= 0, ram_ >= 0};
}

QString PowerMeter::description() const
{
    QStringList parts;
    for (const PowerSourceStatus &s : statuses()) {
        if (s.active)
            parts << QStringLiteral("%1 (%2, %3): %4").arg(s.name, s.components, s.provenance, s.detail);
    }
    return parts.join(QStringLiteral("; "));
}

std::vector<PowerSourceStatus> PowerMeter::statuses() const
{
    std::vector<PowerSourceStatus> out;
    for (int i = 0; i < int(sources_.size()); ++i) {
        const PowerSource &source = *sources_[std::size_t(i)];
        QStringList components;
        if (cpu_ == i)
            components << QStringLiteral("cpu");
        if (gpu_ == i)
            components << QStringLiteral("gpu");
        if (ram_ == i)
            components << QStringLiteral("ram");
        out.push_back({source.name(), !components.isEmpty(), source.provenance(), components.join(QStringLiteral(", ")),
                       components.isEmpty() ? QStringLiteral("not needed: other sources cover its components") : source.description()});
    }
    out.insert(out.end(), unavailable_.begin(), unavailable_.end());
    return out;
}

QStringList PowerMeter::notices() const
{
    QStringList out;
    for (const PowerSourceStatus &s : unavailable_)
        out << s.detail;
    return out;
}

PowerReading PowerMeter::read()
{
    PowerReading merged;
    for (int i = 0; i < int(sources_.size()); ++i) {
        if (cpu_ != i && gpu_ != i && ram_ != i)
            continue;
        const PowerReading r = sources_[std::size_t(i)]->read();
        if (cpu_ == i)
            merged.cpuPowerW = r.cpuPowerW;
        if (gpu_ == i)
            merged.gpuPowerW = r.gpuPowerW;
        if (ram_ == i)
            merged.ramPowerW = r.ramPowerW;
    }
    return merged;
}

} // namespace gw
