/// The columns of a Transactions export that the importer understands, each with the header names it
/// answers to. ClickBank's exact header is not confirmed (spec section 8), so every field lists the
/// plausible spellings; matching ignores case, spaces and punctuation (see `normalizedHeaderName`).
public enum TransactionField: Int, Sendable, Hashable, CaseIterable {
    case receipt
    case transactionType
    case date
    case time
    /// One column holding date and time together ("2024-03-05 14:03:27").
    case dateTime
    case role
    case vendor
    case affiliate
    case itemNo
    case productTitle
    case lineItemType
    case paymentMethod
    /// What the exporting account received: the money that matters to it (the IPN's `accountAmount`).
    case amount
    /// What the customer paid for the line.
    case orderAmount
    case taxAmount
    case shippingAmount
    case currency
    case trackingID
    case customerFirstName
    case customerLastName
    case customerFullName
    case customerEmail
    case city
    case state
    case country
    case postalCode
    case upsellOriginalReceipt

    /// The name used in messages (the sample exports' spelling where they have the column).
    public var expectedName: String {
        switch self {
        case .receipt: "Receipt"
        case .transactionType: "Transaction Type"
        case .date: "Transaction Date"
        case .time: "Transaction Time"
        case .dateTime: "Transaction Date Time"
        case .role: "Role On Transaction"
        case .vendor: "Vendor"
        case .affiliate: "Affiliate"
        case .itemNo: "Item"
        case .productTitle: "Product Title"
        case .lineItemType: "Line Item Type"
        case .paymentMethod: "Payment Method"
        case .amount: "Account Amount"
        case .orderAmount: "Order Amount"
        case .taxAmount: "Tax Amount"
        case .shippingAmount: "Shipping Amount"
        case .currency: "Currency"
        case .trackingID: "TID"
        case .customerFirstName: "Customer First Name"
        case .customerLastName: "Customer Last Name"
        case .customerFullName: "Customer Name"
        case .customerEmail: "Customer Email"
        case .city: "City"
        case .state: "State"
        case .country: "Country"
        case .postalCode: "Postal Code"
        case .upsellOriginalReceipt: "Upsell Original Receipt"
        }
    }

    /// Header spellings, already normalised, best first: when two columns match one field, the one whose
    /// alias comes first wins and the other is kept as an extra column.
    var aliases: [String] {
        switch self {
        case .receipt:
            ["receipt", "receiptnumber", "receiptno", "receiptid", "transactionreceipt", "transactionid",
             "txnid", "txnreceipt", "ctransreceipt", "orderreceipt"]
        case .transactionType:
            ["transactiontype", "txntype", "transtype", "type", "ctransaction", "transaction"]
        case .date:
            ["transactiondate", "txndate", "transdate", "date", "saledate", "orderdate"]
        case .time:
            ["transactiontime", "txntime", "transtime", "time", "saletime", "ordertime"]
        case .dateTime:
            ["transactiondatetime", "transactiontimestamp", "txndatetime", "datetime", "timestamp",
             "dateandtime", "transactiondateandtime", "transactiondatetimept", "datetimept"]
        case .role:
            ["roleontransaction", "role", "accountrole", "transactionrole", "yourrole", "crole"]
        case .vendor:
            ["vendor", "vendornickname", "vendorid", "vendoraccount", "publisher", "cvendor"]
        case .affiliate:
            ["affiliate", "affiliatenickname", "affiliateid", "affiliateaccount", "caffiliate"]
        case .itemNo:
            ["item", "itemno", "itemnumber", "itemid", "sku", "itemsku", "productsku", "itemcode", "productid",
             "productnumber", "citemno", "citem"]
        case .productTitle:
            ["producttitle", "productname", "itemtitle", "itemname", "title", "product", "cprodtitle"]
        case .lineItemType:
            ["lineitemtype", "itemtype", "producttype"]
        case .paymentMethod:
            ["paymentmethod", "paytype", "paymenttype", "payment", "paymentmethodtype", "ctranspaymentmethod"]
        case .amount:
            ["accountamount", "youramount", "yourearnings", "earnings", "netamount", "accountnet", "net",
             "commission", "amount", "caccountamount"]
        case .orderAmount:
            ["orderamount", "ordertotal", "totalorderamount", "saleamount", "grossamount", "gross",
             "customeramount", "ctotalorderamount"]
        case .taxAmount:
            ["taxamount", "tax", "salestax", "totaltaxamount"]
        case .shippingAmount:
            ["shippingamount", "shipping", "totalshippingamount"]
        case .currency:
            ["currency", "currencycode", "curr", "ccurrency"]
        case .trackingID:
            ["tid", "trackingid", "trackingcode", "affiliatetrackingid", "ctid"]
        case .customerFirstName:
            ["customerfirstname", "firstname", "billingfirstname", "buyerfirstname", "ccustfirstname"]
        case .customerLastName:
            ["customerlastname", "lastname", "billinglastname", "buyerlastname", "ccustlastname"]
        case .customerFullName:
            ["customername", "customerfullname", "fullname", "buyername", "name", "customer", "ccustname"]
        case .customerEmail:
            ["customeremail", "customeremailaddress", "email", "emailaddress", "buyeremail", "billingemail",
             "ccustemail"]
        case .city:
            ["city", "customercity", "billingcity", "ccustcity"]
        case .state:
            ["state", "customerstate", "billingstate", "province", "stateprovince", "ccuststate"]
        case .country:
            ["country", "customercountry", "billingcountry", "countrycode", "ccustcountry"]
        case .postalCode:
            ["postalcode", "zip", "zipcode", "postcode", "customerpostalcode", "billingpostalcode", "ccustzip"]
        case .upsellOriginalReceipt:
            ["upselloriginalreceipt", "originalreceipt", "parentreceipt", "cupsellreceipt"]
        }
    }

    /// Lower-case letters and digits only: "Role On Transaction", "role_on_transaction" and
    /// "ROLE-ON-TRANSACTION." all become "roleontransaction". A BOM or other invisible character is dropped too.
    public static func normalizedHeaderName(_ name: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in name.lowercased().unicodeScalars
        where scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
            result.append(scalar)
        }
        return String(result)
    }
}
