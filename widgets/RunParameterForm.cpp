#include "RunParameterForm.h"

#include "CountryComboBox.h"
#include "config/RunParameters.h"
#include "extension/RunKind.h"
#include "extension/RunKindRegistry.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpressionValidator>
#include <QScrollArea>
#include <QSet>
#include <QSpinBox>
#include <QRegularExpression>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>
#include <cmath>
#include <limits>

namespace gw {

using nlohmann::json;

namespace {

/// Puts '&' before the first letter of @p label not yet taken in @p taken, so every row of a tab
/// has its own Alt+letter.
QString withMnemonic(const QString &label, QSet<QChar> &taken)
{
    for (int i = 0; i < label.size(); ++i) {
        const QChar c = label[i].toLower();
        if (c.isLetter() && c.unicode() < 128 && !taken.contains(c)) {
            taken.insert(c);
            return label.left(i) + QLatin1Char('&') + label.mid(i);
        }
    }
    return label;
}

/// A double spin box that shows its value in the shortest text that reads back to it ("0.0003",
/// "1e-07") and accepts such text, so small rates are neither rounded away nor padded with zeros.
class ShortestNumberSpinBox : public QDoubleSpinBox {
public:
    QString textFromValue(double value) const override { return locale().toString(value, 'g', 12); }
    double valueFromText(const QString &text) const override { return locale().toDouble(stripped(text)); }
    QValidator::State validate(QString &text, int &) const override
    {
        bool ok = false;
        const double value = locale().toDouble(stripped(text), &ok);
        return ok && value >= minimum() && value <= maximum() ? QValidator::Acceptable : QValidator::Intermediate;
    }

private:
    QString stripped(const QString &text) const
    {
        QString t = text;
        if (!suffix().isEmpty() && t.endsWith(suffix()))
            t.chop(suffix().size());
        return t.trimmed();
    }
};

QString toolTipOf(const RunParameter &p)
{
    return QStringLiteral("<b>%1</b> (%2)<br>%3").arg(p.key, p.typeDescription().toHtmlEscaped(), p.help.toHtmlEscaped());
}

} // namespace

RunParameterForm::Field RunParameterForm::makeField(const RunParameter &p)
{
    switch (p.type) {
    case ParameterType::Integer: {
        if (p.max > std::numeric_limits<int>::max()) {
            // Beyond a spin box's int (a 64-bit seed): digits, checked by the parameter itself.
            auto *line = new QLineEdit;
            line->setValidator(new QRegularExpressionValidator(QRegularExpression(QStringLiteral("[0-9]{1,19}")), line));
            const RunParameter *parameter = &p;
            return {&p, line, [line, parameter] { return parameter->parseText(line->text(), QStringLiteral("The form")); },
                    [line, parameter](const json &v) { line->setText(parameter->toText(v)); }};
        }
        auto *box = new QSpinBox;
        box->setRange(int(std::max<double>(p.min, std::numeric_limits<int>::min())), int(std::min<double>(p.max, std::numeric_limits<int>::max())));
        if (!p.emptyMeaning.isEmpty())
            box->setSpecialValueText(p.emptyMeaning); // shown at the minimum, which means it
        return {&p, box, [box] { return json(std::int64_t(box->value())); }, [box](const json &v) { box->setValue(int(v.get<std::int64_t>())); }};
    }
    case ParameterType::Number: {
        // Rates and decays span decades (1e-8 … 10): shown in their shortest form, never rounded to a fixed decimal.
        auto *box = p.decimals >= 6 ? new ShortestNumberSpinBox : new QDoubleSpinBox;
        box->setDecimals(p.decimals >= 6 ? 12 : p.decimals);
        box->setRange(std::max(p.min, p.min > 0 ? std::pow(10.0, -box->decimals()) : p.min), p.max);
        box->setSingleStep(std::max(std::pow(10.0, -p.decimals), std::min(1.0, (p.max - p.min) / 100)));
        if (!p.unit.isEmpty())
            box->setSuffix(QLatin1Char(' ') + p.unit);
        return {&p, box, [box] { return json(box->value()); }, [box](const json &v) { box->setValue(v.get<double>()); }};
    }
    case ParameterType::OptionalNumber: {
        // One step below the range stands for null ("none", "never"), so the value stays one keystroke away.
        auto *box = new QDoubleSpinBox;
        box->setDecimals(p.decimals);
        const double off = p.min - std::pow(10.0, -p.decimals);
        box->setRange(off, std::min(p.max, 1e9));
        box->setSingleStep(p.max <= 1 ? 0.01 : 1);
        box->setSpecialValueText(p.emptyMeaning);
        if (!p.unit.isEmpty())
            box->setSuffix(QLatin1Char(' ') + p.unit);
        return {&p, box, [box] { return box->value() <= box->minimum() ? json(nullptr) : json(box->value()); },
                [box](const json &v) { box->setValue(v.is_null() ? box->minimum() : v.get<double>()); }};
    }
    case ParameterType::Boolean: {
        auto *box = new QCheckBox;
        return {&p, box, [box] { return json(box->isChecked()); }, [box](const json &v) { box->setChecked(v.get<bool>()); }};
    }
    case ParameterType::Choice: {
        auto *box = new QComboBox;
        for (int i = 0; i < p.choices.size(); ++i)
            box->addItem(p.choiceLabels.value(i, p.choices[i]), p.choices[i]);
        return {&p, box, [box] { return json(box->currentData().toString().toStdString()); },
                [box](const json &v) { box->setCurrentIndex(std::max(0, box->findData(QString::fromStdString(v.get<std::string>())))); }};
    }
    case ParameterType::Text:
        if (p.country) {
            auto *box = new CountryComboBox;
            return {&p, box, [box] { return box->countryCode().isEmpty() ? json(nullptr) : json(box->countryCode().toStdString()); },
                    [box](const json &v) { box->setCountryCode(v.is_null() ? QString() : QString::fromStdString(v.get<std::string>())); }};
        }
        [[fallthrough]];
    case ParameterType::Path:
    case ParameterType::Shape3: {
        auto *line = new QLineEdit;
        line->setPlaceholderText(p.type == ParameterType::Shape3 ? QStringLiteral("channels, height, width (%1)").arg(p.emptyMeaning) : p.emptyMeaning);
        const RunParameter *parameter = &p;
        return {&p, line,
                [line, parameter] {
                    const QString text = line->text().trimmed();
                    if (parameter->type == ParameterType::Shape3)
                        return parameter->parseText(text, QStringLiteral("The form"));
                    return text.isEmpty() && parameter->nullable ? json(nullptr) : json(text.toStdString());
                },
                [line, parameter](const json &v) { line->setText(parameter->toText(v)); }};
    }
    }
    return {};
}

RunParameterForm::RunParameterForm(const QString &reservedMnemonics, QWidget *parent)
    : QWidget(parent), tabs_(new QTabWidget), kindChooser_(new QComboBox), kindDescription_(new QLabel)
{
    tabs_->setObjectName(QStringLiteral("parameterTabs"));
    kindChooser_->setObjectName(QStringLiteral("kind"));
    kindDescription_->setObjectName(QStringLiteral("kindDescription"));
    kindDescription_->setWordWrap(true);
    const RunParameter *kindParameter = RunParameters::find(QStringLiteral("kind"));
    for (int i = 0; i < kindParameter->choices.size(); ++i)
        kindChooser_->addItem(kindParameter->choiceLabels.value(i, kindParameter->choices[i]), kindParameter->choices[i]);
    kindChooser_->setToolTip(toolTipOf(*kindParameter));
    QSet<QChar> topMnemonics;
    for (const QChar c : reservedMnemonics.toLower())
        topMnemonics.insert(c);
    auto *kindRow = new QFormLayout;
    kindRow->addRow(withMnemonic(kindParameter->label, topMnemonics), kindChooser_);
    kindRow->addRow(QString(), kindDescription_);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(kindRow);
    layout->addWidget(tabs_, 1);

    // A tab per page; on it, each section is a titled group, except the one the page is named after.
    QMap<QString, QFormLayout *> forms;
    QMap<QString, QSet<QChar>> mnemonics; // per page
    QMap<QString, QVBoxLayout *> pages;
    for (const RunParameterSection &section : RunParameters::sections()) {
        if (!pages.contains(section.page)) {
            auto *page = new QWidget;
            auto *pageLayout = new QVBoxLayout(page);
            pageLayout->addStretch(1);
            auto *scroll = new QScrollArea; // a long page scrolls rather than stretching the dialog
            scroll->setWidget(page);
            scroll->setWidgetResizable(true);
            scroll->setFrameShape(QFrame::NoFrame);
            pages.insert(section.page, pageLayout);
            tabs_->addTab(scroll, section.page);
            mnemonics[section.page] = topMnemonics;
        }
        QVBoxLayout *pageLayout = pages[section.page];
        auto *form = new QFormLayout;
        form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
        QGroupBox *group = nullptr;
        if (section.title == section.page) {
            pageLayout->insertLayout(pageLayout->count() - 1, form);
        } else {
            group = new QGroupBox(section.title);
            group->setLayout(form);
            pageLayout->insertWidget(pageLayout->count() - 1, group);
        }
        forms.insert(section.key, form);
        sectionViews_.push_back({section.key, group, form});
    }

    for (const RunParameter &p : RunParameters::all()) {
        if (p.key == QStringLiteral("kind")) { // the chooser on top
            fields_.push_back({&p, kindChooser_, [this] { return json(kind().toStdString()); },
                               [this](const json &v) { setKind(QString::fromStdString(v.get<std::string>())); }});
            continue;
        }
        const QString sectionKey = p.section();
        QFormLayout *form = forms.value(sectionKey);
        Field field = makeField(p);
        field.editor->setObjectName(p.key);
        field.editor->setToolTip(toolTipOf(p));
        field.editor->setWhatsThis(p.help);
        QWidget *row = field.editor;
        if (p.type == ParameterType::Path) {
            auto *line = static_cast<QLineEdit *>(field.editor);
            auto *browse = new QToolButton;
            browse->setText(QStringLiteral("…"));
            browse->setToolTip(QStringLiteral("Choose the %1").arg(p.folder ? QStringLiteral("folder") : QStringLiteral("file")));
            const bool folder = p.folder;
            const QString title = p.label;
            connect(browse, &QToolButton::clicked, this, [this, line, folder, title] {
                const QString chosen = folder ? QFileDialog::getExistingDirectory(this, title, line->text())
                                              : QFileDialog::getOpenFileName(this, title, line->text());
                if (!chosen.isEmpty())
                    line->setText(chosen);
            });
            row = new QWidget;
            auto *rowLayout = new QHBoxLayout(row);
            rowLayout->setContentsMargins(0, 0, 0, 0);
            rowLayout->addWidget(line, 1);
            rowLayout->addWidget(browse);
        }
        form->addRow(withMnemonic(p.label, mnemonics[RunParameters::findSection(sectionKey)->page]), row);
        field.row = row;

        if (auto *spin = qobject_cast<QSpinBox *>(field.editor))
            connect(spin, &QSpinBox::valueChanged, this, &RunParameterForm::changed);
        else if (auto *dspin = qobject_cast<QDoubleSpinBox *>(field.editor))
            connect(dspin, &QDoubleSpinBox::valueChanged, this, &RunParameterForm::changed);
        else if (auto *combo = qobject_cast<QComboBox *>(field.editor))
            connect(combo, &QComboBox::currentIndexChanged, this, &RunParameterForm::changed);
        else if (auto *check = qobject_cast<QCheckBox *>(field.editor))
            connect(check, &QCheckBox::toggled, this, &RunParameterForm::changed);
        else if (auto *line = qobject_cast<QLineEdit *>(field.editor))
            connect(line, &QLineEdit::textChanged, this, &RunParameterForm::changed);
        fields_.push_back(std::move(field));
    }

    connect(kindChooser_, &QComboBox::currentIndexChanged, this, [this] {
        const QString previous = shownKind_;
        followKind(kind(), previous);
        Q_EMIT changed();
    });
    setConfig(RunConfig());
}

QString RunParameterForm::kind() const
{
    return kindChooser_->currentData().toString();
}

void RunParameterForm::setKind(const QString &id)
{
    kindChooser_->setCurrentIndex(std::max(0, kindChooser_->findData(id)));
}

void RunParameterForm::followKind(const QString &id, const QString &previous)
{
    const RunKind *kind = RunKindRegistry::instance().find(id);
    if (!kind || id == shownKind_)
        return;
    shownKind_ = id;
    kindDescription_->setText(kind->description());
    if (!previous.isEmpty()) {
        // What the new kind sets differently (a backbone and a linear probe for fine-tuning) is put in;
        // everything the person entered otherwise stays.
        QSignalBlocker blocker(this);
        const RunConfig now = RunConfig::defaultsFor(id), before = RunConfig::defaultsFor(previous);
        for (const Field &f : fields_)
            if (f.editor != kindChooser_ && kind->uses(f.parameter->key) && f.parameter->get(now) != f.parameter->get(before))
                f.write(f.parameter->get(now));
    }
    // A row is shown when the kind reads its key; a section when any of its rows is; a page when any of its sections is.
    QSet<QString> sectionsShown;
    for (const Field &f : fields_) {
        if (f.editor == kindChooser_)
            continue;
        const bool shown = kind->uses(f.parameter->key);
        for (const SectionView &view : sectionViews_)
            if (view.key == f.parameter->section())
                view.form->setRowVisible(f.row, shown);
        if (shown)
            sectionsShown.insert(f.parameter->section());
    }
    QSet<QString> pagesShown;
    for (const SectionView &view : sectionViews_) {
        const bool any = sectionsShown.contains(view.key);
        if (view.group)
            view.group->setVisible(any);
        if (any)
            pagesShown.insert(RunParameters::findSection(view.key)->page);
    }
    for (int i = 0; i < tabs_->count(); ++i)
        tabs_->setTabVisible(i, pagesShown.contains(tabs_->tabText(i)));
}

void RunParameterForm::reveal(const QString &key)
{
    QWidget *target = editor(key);
    if (!target)
        return;
    for (int page = 0; page < tabs_->count(); ++page)
        if (tabs_->widget(page)->isAncestorOf(target))
            tabs_->setCurrentIndex(page);
    for (QWidget *w = target->parentWidget(); w; w = w->parentWidget())
        if (auto *scroll = qobject_cast<QScrollArea *>(w)) {
            scroll->ensureWidgetVisible(target);
            break;
        }
    target->setFocus();
}

bool RunParameterForm::isShown(const QString &key) const
{
    const RunKind *current = RunKindRegistry::instance().find(kind());
    return key == QStringLiteral("kind") || (current && current->uses(key) && editor(key));
}

void RunParameterForm::setConfig(const RunConfig &config)
{
    QSignalBlocker blocker(this); // one changed() for the whole config
    {
        // The kind first and without its defaults: the config's own values follow.
        const QSignalBlocker chooserQuiet(kindChooser_);
        setKind(config.kind);
        shownKind_.clear();
        followKind(kind(), QString());
    }
    for (const Field &f : fields_)
        if (f.editor != kindChooser_)
            f.write(f.parameter->get(config));
    blocker.unblock();
    Q_EMIT changed();
}

json RunParameterForm::toJson() const
{
    return RunParameters::assemble(kind(), [this](const RunParameter &p) {
        const auto field = std::find_if(fields_.begin(), fields_.end(), [&p](const Field &f) { return f.parameter == &p; });
        return field->read();
    });
}

RunConfig RunParameterForm::config() const
{
    return RunConfig::fromJson(toJson(), QStringLiteral("The form"));
}

QString RunParameterForm::inFieldTerms(const QString &message) const
{
    std::vector<const RunParameter *> named;
    for (const Field &f : fields_)
        named.push_back(f.parameter);
    // The longest keys first, so "training.green_stop.epochs" is not read as "training.green_stop".
    std::sort(named.begin(), named.end(), [](const RunParameter *a, const RunParameter *b) { return a->key.size() > b->key.size(); });
    QString out = message;
    for (const RunParameter *p : named) {
        const RunParameterSection *section = RunParameters::findSection(p->section());
        const QString field = section ? QStringLiteral("“%1” on %2").arg(p->label, section->page) : QStringLiteral("“%1”").arg(p->label);
        const QRegularExpression key(QStringLiteral("'?(?<![\\w.])%1(?![\\w.])'?").arg(QRegularExpression::escape(p->key)));
        out.replace(key, field);
    }
    return out;
}

QWidget *RunParameterForm::editor(const QString &key) const
{
    for (const Field &f : fields_)
        if (f.parameter->key == key)
            return f.editor;
    return nullptr;
}

} // namespace gw
