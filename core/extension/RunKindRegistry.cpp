#include "extension/RunKindRegistry.h"

#include "Error.h"
#include "config/RunConfig.h"
#include "extension/BuiltinRunKinds.h"
#include "extension/RunKind.h"

#include <QRegularExpression>
#include <QSet>
#include <algorithm>
#include <nlohmann/json.hpp>

namespace gw {

using nlohmann::json;

RunKindRegistry &RunKindRegistry::instance()
{
    static RunKindRegistry registry;
    return registry;
}

RunKindRegistry::RunKindRegistry()
{
    rebuild();
    for (std::shared_ptr<const RunKind> &kind : BuiltinRunKinds::create())
        add(std::move(kind), QStringLiteral("core"));
}

void RunKindRegistry::add(std::shared_ptr<const RunKind> kind, const QString &owner)
{
    if (!kind)
        throw Error(QStringLiteral("%1 registered no run kind (a null pointer)").arg(owner));
    const QString id = kind->id();
    const auto refuse = [&](const QString &why) { throw Error(QStringLiteral("%1: run kind '%2' cannot be added: %3").arg(owner, id, why)); };
    if (id.isEmpty() || id.contains(QRegularExpression(QStringLiteral("[^a-z0-9-]"))))
        refuse(QStringLiteral("its id must be lower-case letters, digits and '-'"));
    if (const RunKind *existing = find(id))
        refuse(QStringLiteral("the id is taken (by %1)").arg(std::find_if(entries_.begin(), entries_.end(), [existing](const Entry &e) {
                                                                   return e.kind.get() == existing;
                                                               })->owner));
    QSet<QString> ownSections;
    for (const RunParameterSection &section : kind->ownSections()) {
        if (section.kind != id)
            refuse(QStringLiteral("its section '%1' says it belongs to kind '%2'").arg(section.key, section.kind));
        if (section.key.isEmpty() || hasSection(section.key) || ownSections.contains(section.key))
            refuse(QStringLiteral("the section '%1' exists already").arg(section.key));
        const QString top = section.key.section(QLatin1Char('.'), 0, 0);
        if (top != section.key && !ownSections.contains(top))
            refuse(QStringLiteral("the section '%1' lies in '%2', which is not its own (list the outer section first)").arg(section.key, top));
        ownSections.insert(section.key);
    }
    for (const RunParameter &parameter : kind->ownParameters()) {
        if (!ownSections.contains(parameter.section()))
            refuse(QStringLiteral("its parameter '%1' lies outside its own sections").arg(parameter.key));
        if (hasParameter(parameter.key))
            refuse(QStringLiteral("the parameter '%1' exists already").arg(parameter.key));
        if (!parameter.get || !parameter.set)
            refuse(QStringLiteral("its parameter '%1' cannot be read or written (no get or set)").arg(parameter.key));
    }
    for (const QString &shared : kind->sharedKeys())
        if (!hasSection(shared) && !hasParameter(shared))
            refuse(QStringLiteral("it reads '%1', which is no shared section or parameter").arg(shared));
    entries_.push_back({std::move(kind), owner});
    rebuild();
}

void RunKindRegistry::removeOwner(const QString &owner)
{
    entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [&owner](const Entry &e) { return e.owner == owner; }), entries_.end());
    rebuild();
}

const RunKind *RunKindRegistry::find(const QString &id) const
{
    for (const Entry &e : entries_)
        if (e.kind->id() == id)
            return e.kind.get();
    return nullptr;
}

std::vector<const RunKind *> RunKindRegistry::kinds() const
{
    std::vector<const RunKind *> list;
    for (const Entry &e : entries_)
        list.push_back(e.kind.get());
    return list;
}

QStringList RunKindRegistry::kindsOf(const QString &owner) const
{
    QStringList ids;
    for (const Entry &e : entries_)
        if (e.owner == owner)
            ids << e.kind->id();
    return ids;
}

const RunKind *RunKindRegistry::ownerOfSection(const QString &sectionKey) const
{
    for (const RunParameterSection &s : sections_)
        if (s.key == sectionKey)
            return s.kind.isEmpty() ? nullptr : find(s.kind);
    return nullptr;
}

// add() runs while instance() is being built (the built-in kinds): it must not go through RunParameters.
bool RunKindRegistry::hasSection(const QString &key) const
{
    return std::any_of(sections_.begin(), sections_.end(), [&key](const RunParameterSection &s) { return s.key == key; });
}

bool RunKindRegistry::hasParameter(const QString &key) const
{
    return std::any_of(parameters_.begin(), parameters_.end(), [&key](const RunParameter &p) { return p.key == key; });
}

QString RunKindRegistry::impliedKind(const json &root)
{
    if (!root.is_object())
        return QStringLiteral("train");
    const auto al = root.find("active_learning");
    if (al != root.end() && !al->is_null())
        return QStringLiteral("active-learning");
    const auto stringAt = [&root](const char *section, const char *key) {
        const auto it = root.find(section);
        if (it == root.end() || !it->is_object() || !it->contains(key) || !(*it)[key].is_string())
            return std::string();
        return (*it)[key].get<std::string>();
    };
    const std::string mode = stringAt("training", "mode"), source = stringAt("model", "source");
    if (mode == "pretrain")
        return QStringLiteral("pretrain");
    // The small CNN from scratch was the default; a backbone named without a mode was fine-tuned on.
    if ((mode.empty() || mode == "scratch") && (source.empty() || source == "scratch"))
        return QStringLiteral("train");
    return QStringLiteral("finetune");
}

QString RunKindRegistry::unknownKindMessage(const QString &id) const
{
    QStringList known;
    for (const Entry &e : entries_)
        known << e.kind->id();
    return QStringLiteral("unknown run kind '%1' (known: %2; a kind a plugin adds needs that plugin: see green-workbench plugins)")
        .arg(id, known.join(QStringLiteral(", ")));
}

void RunKindRegistry::rebuild()
{
    RunParameter kindParameter;
    kindParameter.key = QStringLiteral("kind");
    kindParameter.type = ParameterType::Choice;
    kindParameter.label = QStringLiteral("Kind of run");
    kindParameter.help = QStringLiteral("What the run does; the other parameters follow from it.");
    for (const Entry &e : entries_) {
        kindParameter.choices << e.kind->id();
        kindParameter.choiceLabels << e.kind->title();
    }
    kindParameter.get = [](const RunConfig &c) { return json(c.kind.toStdString()); };
    kindParameter.extraCheck = [this](const json &v) {
        const QString id = QString::fromStdString(v.get<std::string>());
        return find(id) ? QString() : unknownKindMessage(id);
    };
    kindParameter.set = [](RunConfig &c, const json &v) {
        c.kind = QString::fromStdString(v.get<std::string>());
        c.activeLearning.enabled = c.kind == QStringLiteral("active-learning");
    };

    std::vector<RunParameter> parameters{kindParameter};
    for (const RunParameter &p : RunParameters::sharedParameters())
        parameters.push_back(p);
    std::vector<RunParameterSection> sections = RunParameters::sharedSections();
    for (const Entry &e : entries_) {
        for (RunParameterSection &s : e.kind->ownSections())
            sections.push_back(std::move(s));
        for (RunParameter &p : e.kind->ownParameters())
            parameters.push_back(std::move(p));
    }
    parameters_ = std::move(parameters);
    sections_ = std::move(sections);
}

} // namespace gw
